package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

func (s *Server) touchScope(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, set, err := s.scopeRequest(c, k)
		if err != nil {
			return err
		}
		ctx := scopeContext(c, set, k)
		if err := s.engine.Touch(ctx, set, key); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}
