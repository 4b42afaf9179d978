package web

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

func (s *Server) createScope(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		raw, err := readBody(c)
		if err != nil {
			return err
		}
		var data json.RawMessage
		if len(raw) > 0 {
			if data, _, err = decodeDataBody(raw); err != nil {
				return err
			}
		}
		eff, err := s.directory.Effective(ctx, c.Param("app"))
		if err != nil {
			return err
		}
		ctx = scopeContext(c, eff.Settings, k)
		sc, err := s.engine.Create(ctx, eff.Settings, c.Param("app"), k, data)
		if err != nil {
			return err
		}
		return writeScope(c, http.StatusCreated, sc)
	}
}
