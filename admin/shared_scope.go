package admin

import (
	"context"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// serverScopePath is the page of the server scope, under the Scope page
// that holds its settings.
const serverScopePath = scopePath + "/server"

// applicationPath is the page of an app's application scope.
func applicationPath(app string) string { return appPath(app, "/application") }

// sharedPath is the page of a shared scope: app's application scope, or
// the server scope.
func sharedPath(k scopes.Kind, app string) string {
	if k == scopes.Server {
		return serverScopePath
	}
	return applicationPath(app)
}

// sharedReadTimeout bounds the read of a shared scope for a page, so that
// a storage that does not answer slows the page down but does not hang it.
const sharedReadTimeout = 5 * time.Second

// sharedScope is an application or the server scope as the console shows
// it: read from its storage without a visit, so that looking moves no
// expiry and never starts a scope that the app has not started.
type sharedScope struct {
	Kind scopes.Kind
	// App is the app of an application scope; "" for the server scope.
	App string
	// Storage and Timeout are what the settings name now.
	Storage string
	Timeout time.Duration
	// Scope is nil when there is none: not started yet, or expired.
	Scope *scopes.Scope
	// Problem says why the scope could not be read; the page shows the
	// rest all the same.
	Problem string
}

// readShared reads the shared scope of kind k (of app, for an
// application scope) with set, the settings that name its storage.
func (a *Console) readShared(ctx context.Context, set scopes.Settings, k scopes.Kind, app string) sharedScope {
	ss := set.Of(k)
	out := sharedScope{Kind: k, App: app, Storage: ss.Storage, Timeout: ss.Timeout}
	if a.Engine == nil {
		out.Problem = "this console was started without access to the storages, so it cannot show scopes"
		return out
	}
	key := scopes.ServerKey()
	if k == scopes.Application {
		key = scopes.ApplicationKey(app)
	}
	ctx, cancel := context.WithTimeout(ctx, sharedReadTimeout)
	defer cancel()
	sc, err := a.Engine.Peek(ctx, set, key)
	switch {
	case scopes.ErrorCode(err) == scopes.ENotFound:
	case err != nil:
		out.Problem = scopes.ErrorMessage(err)
	default:
		out.Scope = sc
	}
	return out
}

// sharedCount is a storage change's count of a shared scope left in the
// old storage: 1 when it exists there, 0 when not.
func (a *Console) sharedCount(ctx context.Context, set scopes.Settings, app string, k scopes.Kind) liveCount {
	s := a.readShared(ctx, set, k, app)
	switch {
	case s.Problem != "":
		return liveCount{Err: s.Problem}
	case s.Scope == nil:
		return liveCount{Exact: true}
	}
	return liveCount{N: 1, Exact: true}
}

// Memory tells that the scope lives in this instance's memory, which no
// other instance of scopestore sees.
func (s sharedScope) Memory() bool { return s.Storage == scopes.StorageMemory }

// noun names the scope: "application scope of shop", "server scope".
func (s sharedScope) noun() string {
	if s.Kind == scopes.Server {
		return "server scope"
	}
	return "application scope of " + s.App
}

// firstUse says what starts the scope: the app's first call to its URL.
func (s sharedScope) firstUse() string { return "GET, PUT or PATCH " + s.apiPath() }

// apiPath is the runtime API's path of the scope.
func (s sharedScope) apiPath() string {
	if s.Kind == scopes.Server {
		return "/api/v1/server"
	}
	return "/api/v1/apps/" + s.App + "/application"
}

// builtins lists the scope's built-ins, as the runtime API names them.
func (s sharedScope) builtins(now time.Time) []builtin {
	sc := s.Scope
	var out []builtin
	if sc.ApplicationName != "" {
		out = append(out, builtin{"applicationname", sc.ApplicationName, ""})
	}
	expires := builtin{"expires", utcTime(sc.Expires), untilText(sc.Expires, now)}
	if s.Kind == scopes.Server {
		expires.Note = "3650 days after its last use: the server scope has no timeout of its own"
	}
	out = append(out,
		builtin{"version", strconv.FormatInt(sc.Version, 10), ""},
		builtin{"timecreated", utcTime(sc.TimeCreated), ""},
		builtin{"lastvisit", utcTime(sc.LastVisit), ""},
		expires,
		builtin{"storage", sc.Storage, ""},
		builtin{"size", strconv.Itoa(len(sc.Data)) + " bytes", "of JSON data"},
	)
	if sc.Fence > 0 {
		out = append(out, builtin{"fence", strconv.FormatInt(sc.Fence, 10), "the greatest lock fence a write carried"})
	}
	return out
}

// sharedLeft says what a storage change leaves of a shared scope in the
// old storage.
func sharedLeft(n int64) string {
	if n == 0 {
		return "none: not started"
	}
	return "1, with its data"
}

// sharedScopeView is the page of a shared scope, the application scope of
// an app or the server scope: its built-ins, its data as a tree with the
// values of sensitive keys masked, who writes it and where their locks are.
type sharedScopeView struct {
	Shared sharedScope
	Tree   dataTreeView
	// TreeErr is why the data could not be drawn.
	TreeErr string
	// SensitiveKeys are the key names masked besides the built-in words.
	SensitiveKeys []string
	// Writers are the apps that may write the scope: its app for an
	// application scope, those allowed for the server scope.
	Writers []string
	Now     time.Time
}

// showShared draws v's scope, when there is one, and records in the audit
// log that its data was shown, as a session's page does.
func (a *Console) showShared(c echo.Context, v *sharedScopeView, how string) {
	s := v.Shared
	if s.Scope == nil {
		return
	}
	tree, err := dataTree(s.Scope.Data, v.SensitiveKeys)
	if err != nil {
		a.Logger.Warn("scope data does not parse", "app", s.App, "kind", s.Kind, "err", err)
		v.TreeErr = "The data could not be read as a JSON object, so it is not shown."
	}
	v.Tree = tree
	a.audit(c, string(s.Kind)+".view", sharedTarget(s.Kind, s.App), how+": its data was shown, sensitive keys masked")
}

// sharedTarget names a shared scope in the audit log: "shop application",
// "server".
func sharedTarget(k scopes.Kind, app string) string {
	if k == scopes.Server {
		return string(scopes.Server)
	}
	return app + " " + string(k)
}

// sharedSettingsPath is where a shared scope's settings are set: its app's
// settings form, or the Scope page's.
func sharedSettingsPath(s sharedScope) string {
	if s.Kind == scopes.Server {
		return scopePath + "#server-settings"
	}
	return appPath(s.App, "#application-settings")
}
