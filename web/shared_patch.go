package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// patchShared applies a patch to the shared scope of kind k, starting the
// scope when there is none; If-Match and If-Fence make it conditional.
func (s *Server) patchShared(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		cond, err := writeCond(c)
		if err != nil {
			return err
		}
		var p scopes.Patch
		if err := decodeJSON(c, &p); err != nil {
			return err
		}
		ctx := c.Request().Context()
		eff, err := s.directory.Effective(ctx, callerApp(c))
		if err != nil {
			return err
		}
		sc, err := s.engine.PatchIf(ctx, eff.Settings, sharedKey(c, k), p, cond)
		if err != nil {
			return err
		}
		return writeScope(c, http.StatusOK, sc)
	}
}
