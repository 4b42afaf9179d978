package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// scopeTokenHeader carries the sealed token of a client scope kept in
// cookie storage: the app sends back the one it was given, and every
// answer that changed the scope (create, load, save, PATCH, touch) gives it
// a new one, also as the scope's "token".
const scopeTokenHeader = "Scope-Token"

// scopeContext returns the context of an operation on a scope of kind k:
// for the cookie storage, one that carries the request's Scope-Token to the
// engine and brings back the token it seals, which the answer's header then
// carries, whatever its status. Other storages cost nothing here.
func scopeContext(c echo.Context, set scopes.Settings, k scopes.Kind) context.Context {
	req := c.Request()
	if set.Of(k).Storage != scopes.StorageCookie {
		return req.Context()
	}
	tok := &scopes.ScopeToken{In: header(req, scopeTokenHeader)}
	ctx := scopes.WithScopeToken(req.Context(), tok)
	// writeScope finds the token in the request's context.
	c.SetRequest(req.WithContext(ctx))
	res := c.Response()
	res.Before(func() {
		if tok.Out != "" {
			res.Header().Set(scopeTokenHeader, tok.Out)
		}
	})
	return ctx
}

// withToken puts the sealed token of a cookie-stored scope into its answer.
func withToken(c echo.Context, sc *scopes.Scope) {
	if sc.Storage != scopes.StorageCookie {
		return
	}
	if tok := scopes.ScopeTokenFrom(c.Request().Context()); tok != nil {
		sc.Token = tok.Out
	}
}
