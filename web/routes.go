package web

import (
	"github.com/labstack/echo/v4"
	"github.com/scopestore/scopestore/scopes"
)

func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError

	// Health: no auth, for load balancers and orchestrators.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	// Runtime API: every route authenticates an API key that reaches one app.
	api := e.Group("/api/v1/apps/:app", s.authenticate, s.limitBody)
	for _, k := range []struct {
		kind scopes.Kind
		path string
	}{{scopes.Session, "/sessions"}, {scopes.Client, "/clients"}} {
		api.POST(k.path, s.createScope(k.kind))
		api.GET(k.path+"/:cfid", s.getScope(k.kind))
		api.PUT(k.path+"/:cfid", s.putScope(k.kind))
		api.PATCH(k.path+"/:cfid", s.patchScope(k.kind))
		api.DELETE(k.path+"/:cfid", s.deleteScope(k.kind))
		api.POST(k.path+"/:cfid/touch", s.touchScope(k.kind))
	}
	api.GET("/settings", s.getSettings)
	api.PUT("/settings", s.putSettings)
	return e
}
