package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// putShared replaces the data of the shared scope of kind k, starting the
// scope when there is none; If-Match and If-Fence make it conditional.
func (s *Server) putShared(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		cond, err := writeCond(c)
		if err != nil {
			return err
		}
		body, err := readBody(c)
		if err != nil {
			return err
		}
		if len(body) == 0 {
			return scopes.Errorf(scopes.EInvalid, `the request body is empty: send {"data":{…}}`)
		}
		data, present, err := decodeDataBody(body)
		if err != nil {
			return err
		}
		if !present {
			return scopes.Errorf(scopes.EInvalid, `"data" is required: send {"data":{…}}`)
		}
		ctx := c.Request().Context()
		eff, err := s.directory.Effective(ctx, callerApp(c))
		if err != nil {
			return err
		}
		sc, err := s.engine.SaveIf(ctx, eff.Settings, sharedKey(c, k), data, cond)
		if err != nil {
			return err
		}
		return writeScope(c, http.StatusOK, sc)
	}
}
