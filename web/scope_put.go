package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

func (s *Server) putScope(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, err := scopeKey(c, k)
		if err != nil {
			return err
		}
		ifVersion, err := httpapi.ParseIfMatch(c.Request().Header.Get("If-Match"))
		if err != nil {
			return err
		}
		body, err := readBody(c)
		if err != nil {
			return err
		}
		if len(body) == 0 {
			return scopes.Errorf(scopes.EInvalid, "the request body is empty: send a JSON object")
		}
		data, present, err := decodeDataBody(body)
		if err != nil {
			return err
		}
		if !present {
			return scopes.Errorf(scopes.EInvalid, `"data" is required: send {"data":{…}}`)
		}
		ctx := c.Request().Context()
		eff, err := s.directory.Effective(ctx, key.App)
		if err != nil {
			return err
		}
		sc, err := s.engine.Save(ctx, eff.Settings, key, data, ifVersion)
		if err != nil {
			return err
		}
		return writeScope(c, http.StatusOK, sc)
	}
}
