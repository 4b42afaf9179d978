package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

func (a *Console) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.handleError
	e.IPExtractor = httpapi.ClientAddr(a.TrustedProxies)
	e.Pre(middleware.AddTrailingSlashWithConfig(middleware.TrailingSlashConfig{
		Skipper: func(c echo.Context) bool { return c.Request().URL.Path != Prefix },
	}))
	e.Use(securityHeaders)
	e.Use(middleware.BodyLimit("1M"))

	// Static files: content-hashed names, no login needed.
	e.GET(Prefix+"/static/*", echo.WrapHandler(a.assets))

	// Every form carries the CSRF token, the login and setup forms too.
	g := e.Group(Prefix, middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		CookieName:     csrfCookie,
		CookiePath:     Prefix,
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		ContextKey:     csrfKey,
		ErrorHandler:   a.csrfFailed,
	}))

	// Before login.
	g.GET("/setup", a.setupForm)
	g.POST("/setup", a.setupSubmit)
	g.GET("/login", a.loginForm)
	g.POST("/login", a.loginSubmit)

	// Signed in, with any role: requireRole refuses an operator every
	// route that changes something or reveals masked values, but logout
	// and the Password page (everyRole in role.go), before its handler.
	// A user whose password was generated sees the Password page only,
	// until they choose their own (requireOwnPassword).
	s := g.Group("", a.requireAdmin, a.requireOwnPassword, a.requireRole(func(_ echo.Context, err error) error { return err }))
	s.POST("/logout", a.logout)
	s.GET("/", a.overview)

	// Scope: server defaults. A change of storage, here or in an app's
	// settings, may start a job that moves the live scopes (offerMoves).
	moves := newStorageMoves(a)
	s.GET("/scope", a.scopeForm)
	s.POST("/scope", a.scopeSubmit, moves.offerMoves)
	s.GET("/storage-moves", moves.moveList, noStore)
	s.GET("/storage-moves/:id", moves.progressPage, noStore)
	s.POST("/storage-moves/:id/stop", moves.stopJob, noStore)
	s.POST("/storage-moves/:id/resume", moves.resumeJob, noStore)
	s.GET("/scope/server", a.scopeServer, noStore)
	s.GET("/scope/server/raw", a.sharedRaw(scopes.Server), noStore)
	s.GET("/scope/server/empty", a.sharedEmptyForm(scopes.Server), noStore)
	s.POST("/scope/server/empty", a.sharedEmpty(scopes.Server))

	// Services: caches and datasources share their handlers, told apart by kind.
	for _, kind := range []string{kindCache, kindDatasource} {
		base := "/" + kind + "s"
		s.GET(base, a.connectionList(kind))
		s.GET(base+"/new", a.connectionNew(kind))
		s.POST(base, a.connectionCreate(kind))
		s.GET(base+"/:name", a.connectionEdit(kind))
		s.POST(base+"/:name", a.connectionUpdate(kind))
		s.POST(base+"/:name/delete", a.connectionDelete(kind))
		s.POST(base+"/:name/verify", a.connectionVerify(kind))
	}
	s.GET("/datasources/:name/tables", a.datasourceTables)
	s.POST("/datasources/:name/migrate", a.datasourceMigrate)

	// Applications.
	s.GET("/apps", a.appList)
	s.POST("/apps", a.appCreate)
	// App names ignore case: appName gives each handler the name as
	// created, and sends a page asked for in another case to its own URL.
	appName := a.canonicalApp("name", true)
	s.GET("/apps/:name", a.appShow, appName)
	s.POST("/apps/:name/settings", a.appSettings, appName, moves.offerMoves)
	s.POST("/apps/:name/rotate", a.appRotate, appName)
	s.POST("/apps/:name/revoke", a.appRevoke, appName)
	s.POST("/apps/:name/keys", a.appKeyAdd, appName)
	s.GET("/apps/:name/keys/new", a.appNewKey, noStore, appName)
	s.GET("/apps/:name/keys/:id/revoke", a.appKeyRevokeForm, appName)
	s.POST("/apps/:name/keys/:id/revoke", a.appKeyRevoke, appName)
	s.POST("/apps/:name/delete", a.appDelete, appName)
	s.GET("/apps/:name/locks/break", a.lockBreakForm, noStore, appName)
	s.POST("/apps/:name/locks/break", a.lockBreak, appName)
	s.GET("/apps/:name/application", a.appApplication, noStore, appName)
	s.GET("/apps/:name/application/raw", a.sharedRaw(scopes.Application), noStore, appName)
	s.GET("/apps/:name/application/empty", a.sharedEmptyForm(scopes.Application), noStore, appName)
	s.POST("/apps/:name/application/empty", a.sharedEmpty(scopes.Application), appName)

	// Operations: the live scopes of an app, read without a visit.
	ops := newSessionOps(a)
	s.GET("/sessions", ops.list, noStore)
	s.GET("/sessions/table", ops.table, noStore)
	scopesApp := a.canonicalApp("app", true)
	s.GET("/sessions/:app/:kind/invalidate-all", ops.invalidateAllForm, scopesApp)
	s.POST("/sessions/:app/:kind/invalidate-all", ops.invalidateAll, scopesApp)
	inv := newInvalidations(ops)
	s.GET("/sessions/:app/:kind/invalidate-matching", inv.matchingForm, noStore, scopesApp)
	s.POST("/sessions/:app/:kind/invalidate-matching", inv.startMatching, noStore, scopesApp)
	s.GET("/sessions/:app/:kind/invalidations/:id", inv.progress, noStore, scopesApp)
	s.POST("/sessions/:app/:kind/invalidations/:id/stop", inv.stop, noStore, scopesApp)
	s.POST("/sessions/:app/:kind/invalidate-selected", inv.invalidateSelected, noStore, scopesApp)
	s.GET("/sessions/:app/:kind/:cfid", ops.show, noStore, scopesApp)
	s.GET("/sessions/:app/:kind/:cfid/raw", ops.raw, noStore, scopesApp)
	s.POST("/sessions/:app/:kind/:cfid/invalidate", ops.invalidate, noStore, scopesApp)

	// Security: the audit log, the users and their roles, one's own password.
	s.GET("/audit", a.auditList)
	s.GET("/audit/export", a.auditExport, noStore)
	s.GET("/users", a.userList)
	s.POST("/users", a.userAdd, noStore)
	s.GET("/users/:user", a.userShow)
	s.POST("/users/:user/role", a.userRole)
	s.POST("/users/:user/password", a.userPassword, noStore)
	s.POST("/users/:user/delete", a.userDelete)
	s.GET("/tokens", a.tokenList)
	s.POST("/tokens", a.tokenCreate, noStore)
	s.GET("/tokens/created", a.tokenCreated, noStore)
	s.POST("/tokens/:id/revoke", a.tokenRevoke)
	s.GET("/password", a.passwordForm)
	s.POST("/password", a.passwordChange)

	// Admin JSON API for scripts and the command line's --server: an admin
	// API token or the console's login, JSON answers, 401 rather than a
	// redirect. No CSRF token: every POST and PATCH takes JSON only
	// (readJSON), which another site's form cannot send, and a DELETE from
	// another site is preflighted. Operators read; their changes are refused
	// as the pages' are.
	api := e.Group(APIPrefix, ops.requireAdminJSON, a.requireRole(func(c echo.Context, err error) error { return apiError(a, c, err) }), noStore)
	apiApp := a.canonicalApp("app", false)
	for _, k := range []struct {
		kind scopes.Kind
		path string
	}{{scopes.Session, "/sessions"}, {scopes.Client, "/clients"}} {
		api.GET("/apps/:app"+k.path, ops.apiList(k.kind), apiApp)
		api.GET("/apps/:app"+k.path+"/:cfid", ops.apiGet(k.kind), apiApp)
		api.POST("/apps/:app"+k.path+"/invalidate", ops.apiInvalidate(k.kind), apiApp)
		api.DELETE("/apps/:app"+k.path+"/:cfid", ops.apiDelete(k.kind), apiApp)
	}
	api.GET("/apps", a.apiApps)
	api.POST("/apps", a.apiAppCreate)
	api.DELETE("/apps/:app", a.apiAppDelete, apiApp)
	api.GET("/apps/:app/settings", a.apiAppSettings, apiApp)
	api.PATCH("/apps/:app/settings", a.apiAppSettingsPatch, apiApp)
	api.GET("/apps/:app/keys", a.apiKeys, apiApp)
	api.POST("/apps/:app/keys", a.apiKeyAdd, apiApp)
	api.POST("/apps/:app/keys/rotate", a.apiKeyRotate, apiApp)
	api.DELETE("/apps/:app/keys/:id", a.apiKeyRevoke, apiApp)
	api.GET("/apps/:app/locks", a.apiLocks, apiApp)
	api.DELETE("/apps/:app/locks/:name", a.apiLockBreak, apiApp)
	api.GET("/apps/:app/application", a.apiApplication, apiApp)
	api.GET("/scope/defaults", a.apiScopeDefaults)
	api.PATCH("/scope/defaults", a.apiScopeDefaultsPatch)
	api.GET("/scope/server", a.apiServerScope)
	api.GET("/connections", a.apiConnections)
	api.POST("/connections", a.apiConnectionCreate)
	api.PATCH("/connections/:name", a.apiConnectionEdit)
	api.DELETE("/connections/:name", a.apiConnectionDelete)
	api.POST("/connections/:name/verify", a.apiConnectionVerify)
	api.RouteNotFound("/*", ops.apiNotFound)
	return e
}

// securityHeaders keeps the console out of frames and other origins' scripts.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
		return next(c)
	}
}
