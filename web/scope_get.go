package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

func (s *Server) getScope(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, set, err := s.scopeRequest(c, k)
		if err != nil {
			return err
		}
		ctx := scopeContext(c, set, k)
		sc, err := s.engine.Load(ctx, set, key)
		if err != nil {
			return err
		}
		return writeScope(c, http.StatusOK, sc)
	}
}
