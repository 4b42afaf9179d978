package admin

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// APIPrefix is where the admin JSON API is mounted: the Sessions page's
// data for scripts, with the console's login.
const APIPrefix = Prefix + "/api/v1"

// listAnswer is a page of scopes as the admin JSON API writes it.
type listAnswer struct {
	// Scopes are written as the runtime API writes a scope, with their
	// data masked as the console shows it.
	Scopes []*scopes.Scope `json:"scopes"`
	// Next is the cursor of the next page, "" on the last.
	Next string `json:"next"`
	// Partial says that the filter's scan bound cut the page short.
	Partial bool `json:"partial"`
	Scanned int  `json:"scanned"`
}

// requireAdminJSON lets through a request with an admin API token
// (Authorization: Bearer sst_…) or a signed-in user's session cookie, as
// requireAdmin does, and answers anybody else 401 with a JSON error rather
// than a redirect to the login page, which a script cannot follow. A
// request that sends a token is judged by the token alone.
func (o *sessionOps) requireAdminJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if token, given := bearerToken(c); given {
			if err := o.signInToken(c, token); err != nil {
				return apiError(o.Console, c, err)
			}
			return next(c)
		}
		ok, err := o.signIn(c)
		if err != nil {
			return apiError(o.Console, c, err)
		}
		if ok && mustChangePassword(c) {
			return apiError(o.Console, c, scopes.Errorf(scopes.EForbidden,
				"your password was generated for you: choose your own on the console's Password page (%s) first", passwordPath))
		}
		if ok {
			return next(c)
		}
		return apiError(o.Console, c, scopes.Errorf(scopes.EUnauthorized,
			"send an admin API token (Authorization: Bearer sst_…, made on the console's API tokens page or with "+
				"'scopestore admin token create'), or log in to the console: this API also takes the console's session cookie (%s)", sessionCookie))
	}
}

// apiList answers one page of an app's live scopes of kind k:
// ?cursor=&limit=&prefix=&key=&value=&max_scan=.
func (o *sessionOps) apiList(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		q := scopes.ListQuery{After: c.QueryParam("cursor"), CFIDPrefix: c.QueryParam("prefix"),
			Key: c.QueryParam("key"), Value: c.QueryParam("value")}
		for _, p := range []struct {
			name string
			to   *int
		}{{"limit", &q.Limit}, {"max_scan", &q.MaxScan}} {
			if s := c.QueryParam(p.name); s != "" {
				n, err := strconv.Atoi(s)
				if err != nil {
					return apiError(o.Console, c, scopes.Errorf(scopes.EInvalid, "%s=%q is not a number of scopes", p.name, clipMessage(s, 40)))
				}
				*p.to = n
			}
		}
		eng, err := o.engine()
		if err != nil {
			return apiError(o.Console, c, err)
		}
		set, err := o.settingsOf(ctx, c.Param("app"))
		if err != nil {
			return apiError(o.Console, c, err)
		}
		// A filter on a masked key is refused by the engine: 400, invalid.
		page, err := eng.List(ctx, set, c.Param("app"), k, q)
		if err != nil {
			return apiError(o.Console, c, err)
		}
		masked := make([]*scopes.Scope, len(page.Scopes))
		for i, sc := range page.Scopes {
			masked[i] = sc.Masked(set.SensitiveKeys)
		}
		if n := len(masked); n > 0 {
			// One entry per page read, not one per scope: a page holds up to 500.
			o.audit(ctx, string(k)+".list", c.Param("app"), fmt.Sprintf("%d %s read with their data through the admin JSON API, sensitive keys masked%s",
				n, kindNoun(k, n != 1), filterNote(q)))
		}
		return httpapi.WriteJSON(c.Response(), http.StatusOK, listAnswer{Scopes: masked, Next: page.Next, Partial: page.Partial, Scanned: page.Scanned})
	}
}

// filterNote names a list's filters for its audit entry.
func filterNote(q scopes.ListQuery) string {
	var note string
	if q.CFIDPrefix != "" {
		note += ", cfid prefix " + strconv.Quote(q.CFIDPrefix)
	}
	if q.Key != "" || q.Value != "" {
		note += ", filter " + strconv.Quote(clipMessage(q.Key, 40)+"="+clipMessage(q.Value, 40))
	}
	return note
}

// apiGet answers one scope, read without a visit, as the runtime API
// writes it, with its data masked as the console shows it.
func (o *sessionOps) apiGet(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		key, set, sc, err := o.peek(ctx, c.Param("app"), string(k), c.Param("cfid"))
		if err != nil {
			return apiError(o.Console, c, err)
		}
		o.history.observe(key, sc, "api", o.now())
		c.Response().Header().Set("ETag", httpapi.ETag(sc.Version))
		// requireRole lets ?reveal= through for administrators only.
		if reveal, _ := strconv.ParseBool(c.QueryParam("reveal")); reveal {
			o.audit(ctx, string(k)+".reveal", auditTarget(key), "read through the admin JSON API with ?reveal=true: sensitive values in clear")
			return httpapi.WriteJSON(c.Response(), http.StatusOK, sc)
		}
		o.audit(ctx, string(k)+".view", auditTarget(key), "read through the admin JSON API, sensitive keys masked")
		return httpapi.WriteJSON(c.Response(), http.StatusOK, sc.Masked(set.SensitiveKeys))
	}
}

// apiNotFound answers a path under the API that names nothing.
func (o *sessionOps) apiNotFound(c echo.Context) error {
	return apiError(o.Console, c, scopes.Errorf(scopes.ENotFound,
		"no such endpoint: the admin API serves, under %[1]s, /apps (GET, POST), /apps/{app} (DELETE), /apps/{app}/settings (GET, PATCH), "+
			"/apps/{app}/keys (GET, POST; DELETE …/{id}; POST …/rotate), /apps/{app}/locks (GET; DELETE …/{lock}), /apps/{app}/application, "+
			"/apps/{app}/sessions and …/clients (GET; GET and DELETE …/{cfid}; POST …/invalidate), /scope/defaults (GET, PATCH), /scope/server, "+
			"/connections (GET, POST) and /connections/{name} (PATCH, DELETE; POST …/verify); see the admin README", APIPrefix))
}

// apiError writes err as the runtime API writes its errors:
// {"error":{"code":…,"message":…}} with the status of its code.
func apiError(a *Console, c echo.Context, err error) error {
	status := httpapi.StatusOf(err)
	// 501 is an answer (a storage that cannot list, such as memcached), not a failure.
	if status >= 500 && status != http.StatusNotImplemented {
		a.Logger.Error("admin API request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "status", status, "err", err)
	}
	return httpapi.WriteError(c.Response(), status, scopes.ErrorCode(err), scopes.ErrorMessage(err))
}

// noStore keeps pages and answers that show scopes' data out of caches.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}
