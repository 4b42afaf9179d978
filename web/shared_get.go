package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// sharedKey returns the key of the shared scope of kind k that the request
// reaches: its app's application scope, or the server scope.
func sharedKey(c echo.Context, k scopes.Kind) scopes.Key {
	if k == scopes.Server {
		return scopes.ServerKey()
	}
	return scopes.ApplicationKey(callerApp(c))
}

// getShared answers the shared scope of kind k, started empty when there
// is none yet.
func (s *Server) getShared(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		eff, err := s.directory.Effective(ctx, callerApp(c))
		if err != nil {
			return err
		}
		sc, err := s.engine.LoadShared(ctx, eff.Settings, sharedKey(c, k))
		if err != nil {
			return err
		}
		return writeScope(c, http.StatusOK, sc)
	}
}
