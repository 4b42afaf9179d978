package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/scopestore/scopestore/scopes"
)

func (s *Server) getScope(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, err := scopeKey(c, k)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		eff, err := s.directory.Effective(ctx, key.App)
		if err != nil {
			return err
		}
		sc, err := s.engine.Load(ctx, eff.Settings, key)
		if err != nil {
			return err
		}
		return writeScope(c, http.StatusOK, sc)
	}
}
