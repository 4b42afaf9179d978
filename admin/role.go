package admin

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// roleKey is the echo context key of the signed-in user's role.
const roleKey = "admin_role"

// roleCtxKey carries the role in the request's context too, where the
// views read it (mayChange) without every component taking a parameter.
type roleCtxKey struct{}

// withRole returns ctx carrying the signed-in user's role.
func withRole(ctx context.Context, role string) context.Context {
	return context.WithValue(ctx, roleCtxKey{}, role)
}

// mayChange tells whether the user signed in for ctx may change anything
// (an administrator), so that the views hide the buttons an operator
// cannot use. The routes check it themselves (requireRole).
func mayChange(ctx context.Context) bool {
	role, _ := ctx.Value(roleCtxKey{}).(string)
	return role == scopes.RoleAdministrator
}

// everyRole are the routes that change something and that every
// signed-in user may use: logging out, changing one's own password, and
// one's own admin API tokens.
var everyRole = map[string]bool{
	http.MethodPost + " " + Prefix + "/logout":   true,
	http.MethodPost + " " + Prefix + "/password": true,
	// An operator's own tokens, which read only; tokenRevoke keeps an
	// operator to its own.
	http.MethodPost + " " + Prefix + "/tokens":            true,
	http.MethodPost + " " + Prefix + "/tokens/:id/revoke": true,
}

// needsAdministrator tells whether a route, by method and echo path, takes
// the administrator role: every method but GET and HEAD, and every route
// that reveals masked values, except everyRole's. A route added later is
// thus refused to operators unless it is added there.
func needsAdministrator(method, path string) bool {
	if everyRole[method+" "+path] {
		return false
	}
	if method != http.MethodGet && method != http.MethodHead {
		return true
	}
	return strings.Contains(strings.ToLower(path), "reveal")
}

// requireRole refuses an operator's request to a route that needs an
// administrator (needsAdministrator, or ?reveal= on any route) with fail's
// answer to a roleRefusal, before the handler runs: nothing changes.
func (a *Console) requireRole(fail func(c echo.Context, err error) error) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if !needsAdministrator(req.Method, c.Path()) && !c.QueryParams().Has("reveal") {
				return next(c)
			}
			role, _ := c.Get(roleKey).(string)
			if role == scopes.RoleAdministrator {
				return next(c)
			}
			user, _ := c.Get(userKey).(string)
			a.Logger.Warn("admin request refused: the user's role may not do this", "user", user, "role", role,
				"method", req.Method, "path", req.URL.Path)
			// Only signed-in users get here, so the log grows with what
			// they try, not with what anybody sends.
			a.audit(c, "admin.refused", req.Method+" "+req.URL.Path, "refused: the "+role+" role may not do this; nothing changed")
			return fail(c, a.roleRefusal(req.Context(), user, role, req.Method, c.Path()))
		}
	}
}

// roleRefusal is the 403 of a request that the user's role may not make:
// it says what the role lacks and who may do it.
type roleRefusal struct {
	err    *scopes.Error
	admins []string
}

func (r *roleRefusal) Error() string { return r.err.Error() }

// Unwrap lets errors.As find the *scopes.Error, whose code makes the status.
func (r *roleRefusal) Unwrap() error { return r.err }

func (r *roleRefusal) guide(v errorView) errorView {
	v.Heading = "403 · Your role may not do this"
	switch len(r.admins) {
	case 0:
	case 1:
		v.Hint = "Ask the administrator, " + r.admins[0] + ", to do it, or to make you an administrator (Security → Users)."
	default:
		v.Hint = "Ask an administrator (" + strings.Join(r.admins, ", ") + ") to do it, or to make you one (Security → Users)."
	}
	return v
}

// roleRefusal builds the refusal of a request to method path by user.
func (a *Console) roleRefusal(ctx context.Context, user, role, method, path string) *roleRefusal {
	if role == "" {
		role = "unknown"
	}
	r := &roleRefusal{err: scopes.Errorf(scopes.EForbidden,
		"You are signed in as %s, %s %s: operators see every page but change nothing. %s needs the %s role.",
		user, article(role), role, actionFor(method, path), scopes.RoleAdministrator)}
	if users, err := a.Admins.AdminUsers(ctx); err == nil {
		for _, u := range users {
			if u.Role == scopes.RoleAdministrator {
				r.admins = append(r.admins, u.Name)
			}
		}
	}
	if len(r.admins) > 5 {
		r.admins = append(r.admins[:5], fmt.Sprintf("%d more", len(r.admins)-5))
	}
	return r
}

// actionFor names, for the refusal, what a route does.
func actionFor(method, path string) string {
	p := strings.TrimPrefix(path, Prefix)
	if strings.Contains(strings.ToLower(p), "reveal") || method == http.MethodGet {
		return "Revealing masked values"
	}
	// The admin JSON API's routes read as the pages' do.
	if api, ok := strings.CutPrefix(p, "/api/v1"); ok {
		p = api
		if strings.Contains(p, "/sessions") || strings.Contains(p, "/clients") {
			return "Invalidating scopes"
		}
		if strings.HasPrefix(p, "/connections") {
			return "Changing connections"
		}
		if strings.HasPrefix(p, "/scope/defaults") {
			return "Changing the server defaults"
		}
	}
	switch {
	case strings.HasPrefix(p, "/users"):
		return "Managing users"
	case strings.HasSuffix(p, "/empty"):
		return "Emptying a shared scope"
	case strings.HasPrefix(p, "/storage-moves"):
		return "Moving live scopes"
	case strings.HasPrefix(p, "/scope"):
		return "Changing the server defaults"
	case strings.HasPrefix(p, "/caches"), strings.HasPrefix(p, "/datasources"):
		return "Changing connections"
	case strings.Contains(p, "/keys"), strings.HasSuffix(p, "/rotate"), strings.HasSuffix(p, "/revoke"):
		return "Managing API keys"
	case strings.Contains(p, "/locks"):
		return "Breaking a lock"
	case strings.HasSuffix(p, "/settings"):
		return "Changing an application's settings"
	case strings.HasPrefix(p, "/apps"):
		return "Registering or deleting an application"
	case strings.HasPrefix(p, "/sessions"):
		return "Invalidating scopes"
	}
	return "This change"
}
