package admin

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// APISharedScope is an app's application scope or the server scope as the
// admin JSON API writes it: read from its storage without a visit, its
// data masked unless ?reveal=true.
type APISharedScope struct {
	Kind scopes.Kind `json:"kind"`
	// App is the app of an application scope; absent for the server scope.
	App string `json:"app,omitempty"`
	// Storage is where the settings keep it now; with memory, Scope is
	// this instance's copy, and each other instance has its own.
	Storage string `json:"storage"`
	// Scope is written as the runtime API writes a scope; null when there
	// is none: not started yet, or ended unused for its timeout.
	Scope *scopes.Scope `json:"scope"`
	// Writers are the apps that may write it: its app, or those whose
	// serverScopeWrite is set.
	Writers []string `json:"writers"`
}

// apiApplication answers an app's application scope.
func (a *Console) apiApplication(c echo.Context) error {
	ctx := c.Request().Context()
	app := c.Param("app")
	eff, err := a.Directory.Effective(ctx, app)
	if err != nil {
		return apiError(a, c, err)
	}
	return a.answerShared(c, eff.Settings, scopes.ApplicationKey(app), eff.Settings.SensitiveKeys, []string{app})
}

// apiServerScope answers the server scope, masked with the sensitive keys
// of the server defaults and of every app, since every app reads it.
func (a *Console) apiServerScope(c echo.Context) error {
	acc, err := a.Directory.ServerScopeAccess(c.Request().Context())
	if err != nil {
		return apiError(a, c, err)
	}
	return a.answerShared(c, acc.Settings.Settings, scopes.ServerKey(), acc.SensitiveKeys, acc.Writers)
}

// answerShared reads the shared scope key with set, without a visit, and
// answers it masked with keys, or in clear with ?reveal=true (which
// requireRole lets through for administrators only). A read of its data is
// audited as the console's page is: <kind>.view, or <kind>.reveal.
func (a *Console) answerShared(c echo.Context, set scopes.Settings, key scopes.Key, keys, writers []string) error {
	if a.Engine == nil {
		return apiError(a, c, scopes.Errorf(scopes.EUnsupported, "this server was started without access to the storages, so it cannot read scopes"))
	}
	if writers == nil {
		writers = []string{}
	}
	out := APISharedScope{Kind: key.Kind, App: key.App, Storage: set.Of(key.Kind).Storage, Writers: writers}
	ctx, cancel := context.WithTimeout(c.Request().Context(), sharedReadTimeout)
	defer cancel()
	sc, err := a.Engine.Peek(ctx, set, key)
	switch {
	case scopes.ErrorCode(err) == scopes.ENotFound:
		return httpapi.WriteJSON(c.Response(), http.StatusOK, out)
	case err != nil:
		return apiError(a, c, err)
	}
	target := sharedTarget(key.Kind, key.App)
	if reveal, _ := strconv.ParseBool(c.QueryParam("reveal")); reveal {
		a.audit(c, string(key.Kind)+".reveal", target, "read through the admin JSON API with ?reveal=true: sensitive values in clear")
	} else {
		sc = sc.Masked(keys)
		a.audit(c, string(key.Kind)+".view", target, "read through the admin JSON API, sensitive keys masked")
	}
	out.Scope = sc
	return httpapi.WriteJSON(c.Response(), http.StatusOK, out)
}
