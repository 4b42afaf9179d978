package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

func (s *Server) patchScope(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, err := scopeKey(c, k)
		if err != nil {
			return err
		}
		cond, err := writeCond(c)
		if err != nil {
			return err
		}
		var p scopes.Patch
		if err := decodeJSON(c, &p); err != nil {
			return err
		}
		ctx := c.Request().Context()
		eff, err := s.directory.Effective(ctx, key.App)
		if err != nil {
			return err
		}
		ctx = scopeContext(c, eff.Settings, k)
		sc, err := s.engine.PatchIf(ctx, eff.Settings, key, p, cond)
		if err != nil {
			return err
		}
		return writeScope(c, http.StatusOK, sc)
	}
}
