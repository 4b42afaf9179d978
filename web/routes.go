package web

import (
	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = httpapi.ClientAddr(s.trustedProxies)
	e.JSONSerializer = jsonSerializer{}

	// Metrics: every request, by route pattern; the scrape itself, no API key
	// (a token of its own when --metrics-token is set).
	if s.metrics != nil {
		e.Use(s.metrics.instrument)
		e.GET(metricsPath, s.serveMetrics)
	}

	// Health: no auth, for load balancers and orchestrators.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	// Runtime API: every route authenticates an API key that reaches one app.
	// Middleware goes on each route rather than on a group, so that a known
	// path with the wrong method answers 405, not 404.
	const app = "/api/v1/apps/:app"
	mw := []echo.MiddlewareFunc{s.authenticate, s.limitBody}
	for _, kind := range scopes.Kinds {
		k := struct {
			kind scopes.Kind
			path string
		}{kind, "/" + kindPath(kind)}
		e.POST(app+k.path, s.createScope(k.kind), mw...)
		e.GET(app+k.path, s.listScopes(k.kind), mw...)
		e.DELETE(app+k.path, s.clearScopes(k.kind), mw...)
		e.GET(app+k.path+"/count", s.countScopes(k.kind), mw...)
		e.GET(app+k.path+"/:cfid", s.getScope(k.kind), mw...)
		e.PUT(app+k.path+"/:cfid", s.putScope(k.kind), mw...)
		e.PATCH(app+k.path+"/:cfid", s.patchScope(k.kind), mw...)
		e.DELETE(app+k.path+"/:cfid", s.deleteScope(k.kind), mw...)
		e.POST(app+k.path+"/:cfid/touch", s.touchScope(k.kind), mw...)
	}
	e.POST(app+"/sessions/:cfid/rotate", s.rotateSession, mw...)
	e.GET(app+"/settings", s.getSettings, mw...)
	e.PUT(app+"/settings", s.putSettings, mw...)

	// The shared scopes: the app's application scope, and the server
	// scope that every app's key reads (shared_*.go).
	for path, k := range map[string]scopes.Kind{app + "/application": scopes.Application, "/api/v1/server": scopes.Server} {
		e.GET(path, s.getShared(k), mw...)
		e.PUT(path, s.putShared(k), mw...)
		e.PATCH(path, s.patchShared(k), mw...)
	}

	// Named locks (cflock across instances): lock.go.
	e.POST(app+"/locks/:name", s.acquireLock, mw...)
	e.POST(app+"/locks/:name/renew", s.renewLock, mw...)
	e.DELETE(app+"/locks/:name", s.releaseLock, mw...)
	return e
}
