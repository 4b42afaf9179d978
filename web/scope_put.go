package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/scopestore/scopestore/scopes"
)

func (s *Server) putScope(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, err := scopeKey(c, k)
		if err != nil {
			return err
		}
		ifVersion, err := scopes.ParseVersion(c.Request().Header.Get("If-Match"))
		if err != nil {
			return err
		}
		var body dataBody
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
		if body.Data == nil || string(body.Data) == "null" {
			return scopes.Errorf(scopes.EInvalid, `"data" is required: send {"data":{…}}`)
		}
		data, err := scopes.NormalizeData(body.Data)
		if err != nil {
			return err
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
