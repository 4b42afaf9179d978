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
	// path with the wrong method answers 405, not 404; and it is applied
	// here, once, because echo applies a route's middleware on every
	// request, making its closures anew.
	const app = "/api/v1/apps/:app"
	api := func(h echo.HandlerFunc) echo.HandlerFunc { return s.authenticate(s.limitBody(h)) }
	for _, kind := range scopes.Kinds {
		k := struct {
			kind scopes.Kind
			path string
		}{kind, "/" + kindPath(kind)}
		e.POST(app+k.path, api(s.createScope(k.kind)))
		e.GET(app+k.path, api(s.listScopes(k.kind)))
		e.DELETE(app+k.path, api(s.clearScopes(k.kind)))
		e.GET(app+k.path+"/count", api(s.countScopes(k.kind)))
		e.GET(app+k.path+"/:cfid", api(s.getScope(k.kind)))
		e.PUT(app+k.path+"/:cfid", api(s.putScope(k.kind)))
		e.PATCH(app+k.path+"/:cfid", api(s.patchScope(k.kind)))
		e.DELETE(app+k.path+"/:cfid", api(s.deleteScope(k.kind)))
		e.POST(app+k.path+"/:cfid/touch", api(s.touchScope(k.kind)))
	}
	e.POST(app+"/sessions/:cfid/rotate", api(s.rotateSession))
	e.GET(app+"/settings", api(s.getSettings))
	e.PUT(app+"/settings", api(s.putSettings))

	// The shared scopes: the app's application scope, and the server
	// scope that every app's key reads (shared_*.go).
	for path, k := range map[string]scopes.Kind{app + "/application": scopes.Application, "/api/v1/server": scopes.Server} {
		e.GET(path, api(s.getShared(k)))
		e.PUT(path, api(s.putShared(k)))
		e.PATCH(path, api(s.patchShared(k)))
	}

	// Named locks (cflock across instances): lock.go.
	e.POST(app+"/locks/:name", api(s.acquireLock))
	e.POST(app+"/locks/:name/renew", api(s.renewLock))
	e.DELETE(app+"/locks/:name", api(s.releaseLock))
	return e
}
