package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// everyRoleRoutes change something, yet every signed-in user may use them:
// the Password page and logout (admin's everyRole). beforeLogin are the
// login and setup forms, which no role guards. A route that changes
// something and is in neither list must answer an operator 403.
var (
	everyRoleRoutes = map[string]bool{"POST /admin/logout": true, "POST /admin/password": true,
		"POST /admin/tokens": true, "POST /admin/tokens/:id/revoke": true}
	beforeLogin = map[string]bool{"POST /admin/login": true, "POST /admin/setup": true}
)

// stateOf writes down what an operator must not change: apps, their keys
// and settings, the server defaults, connections, users, the live scope,
// and the audit log's length.
func (tc *testConsole) stateOf(t *testing.T, cfid string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	apps, err := tc.dir.Apps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		fmt.Fprintf(&b, "app %s %d %v\n", a.Name, a.Keys, a.Layer)
		keys, err := tc.dir.Keys(ctx, a.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			fmt.Fprintf(&b, "  key %d %s active=%v\n", k.ID, k.Label, k.Active())
		}
	}
	server, err := tc.dir.ServerSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "server %v\n", server)
	conns, err := tc.mgr.Connections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		fmt.Fprintf(&b, "connection %+v\n", c)
	}
	users, err := tc.config.AdminUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		fmt.Fprintf(&b, "user %s %s %s\n", u.Name, u.Role, u.PasswordHash)
	}
	fmt.Fprintf(&b, "live %v\n", tc.liveOf(t, "shop", scopes.Session, cfid))
	fmt.Fprintf(&b, "audit entries but refusals %d\n", tc.auditCount(t)-tc.refusalCount(t))
	return b.String()
}

// refusalCount counts the audit log's entries of refused requests.
func (tc *testConsole) refusalCount(t *testing.T) int {
	t.Helper()
	entries, err := tc.config.Audit(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == "admin.refused" {
			if e.Actor != "admin:olga" || !strings.Contains(e.Detail, "operator role may not") {
				t.Errorf("a refusal recorded as %+v", e)
			}
			n++
		}
	}
	return n
}

// TestOperatorIsRefusedEveryChange walks every route the console registers
// as an operator: each GET page opens, and each route that changes
// something or reveals masked values answers 403 with a page that names
// the role and the administrators, and changes nothing. A route added
// later without the role check fails here.
func TestOperatorIsRefusedEveryChange(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	ctx := context.Background()
	tc.createApp(t, "shop")
	tc.addKey(t, "shop", "second")
	sc := tc.createScope(t, "shop", scopes.Session, `{"userId":42,"password":"hunter2"}`)
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "ramcache", Type: "ram"}); err != nil {
		t.Fatal(err)
	}
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "db", Type: "sqlite", Storage: true,
		Params: map[string]string{"file": filepath.Join(t.TempDir(), "sessions.db")}}); err != nil {
		t.Fatal(err)
	}
	keys, err := tc.dir.Keys(ctx, "shop")
	if err != nil || len(keys) == 0 {
		t.Fatal(keys, err)
	}
	tc.addUser(t, "bob", scopes.RoleAdministrator, "bob's long password")
	tc.addUser(t, "olga", scopes.RoleOperator, operatorPassword)
	olga := tc.browser(t, "olga", operatorPassword)
	olga.get("/admin/")

	// pathOf fills a route's parameters with things that exist, so that a
	// handler reached by mistake would change them.
	pathOf := func(route string) string {
		parts := strings.Split(route, "/")
		for i, p := range parts {
			switch {
			case p == "*":
				parts[i] = "x"
			case p == ":name" && (strings.HasPrefix(route, "/admin/caches") || strings.HasPrefix(route, "/admin/datasources")):
				parts[i] = map[bool]string{true: "ramcache", false: "db"}[strings.HasPrefix(route, "/admin/caches")]
			case p == ":name", p == ":app":
				parts[i] = "shop"
			case p == ":kind":
				parts[i] = string(scopes.Session)
			case p == ":cfid":
				parts[i] = sc.CFID
			case p == ":id":
				parts[i] = strconv.FormatInt(keys[0].ID, 10)
			case p == ":user":
				parts[i] = "bob"
			case strings.HasPrefix(p, ":"):
				t.Fatalf("route %s: no value for its parameter %s: add one to the test", route, p)
			}
		}
		return strings.Join(parts, "/")
	}
	// A form that every handler would take as a change: confirmed, named,
	// with a role, a password, a filter and a storage.
	form := url.Values{"confirm": {"yes"}, "name": {"newapp"}, "label": {"new key"}, "role": {"operator"},
		"password": {"a brand new password"}, "current": {operatorPassword}, "lock": {"L"}, "cfid": {sc.CFID},
		"step": {"confirm"}, "key": {"userId"}, "value": {"42"}, "sessionStorage": {"file"}, "type": {"ram"},
		"dry_run": {"0"}, "force": {"yes"}, "counted": {"1"}, "back": {"/admin/sessions"}}

	routes := tc.e.Routes()
	sort.Slice(routes, func(i, j int) bool { return routes[i].Method+routes[i].Path < routes[j].Method+routes[j].Path })

	// Every page opens for an operator, before anything is checked for change
	// (some pages record their reads in the audit log).
	for _, r := range routes {
		if r.Method != http.MethodGet || strings.Contains(r.Path, "reveal") || strings.HasPrefix(r.Path, "/admin/static") {
			continue
		}
		p := olga.get(pathOf(r.Path))
		if p.status == http.StatusForbidden || p.status >= 500 {
			t.Errorf("GET %s as an operator: %d\n%s", r.Path, p.status, p.body)
		}
	}
	// Any page with ?reveal= needs an administrator.
	if p := olga.get("/admin/sessions/shop/session/" + sc.CFID + "?reveal=1"); p.status != http.StatusForbidden {
		t.Errorf("a scope's page with ?reveal=1 as an operator: %d", p.status)
	}

	olga.get("/admin/")
	before := tc.stateOf(t, sc.CFID)
	refused := 0
	for _, r := range routes {
		route := r.Method + " " + r.Path
		switch {
		case r.Method == echo.RouteNotFound, everyRoleRoutes[route], beforeLogin[route]:
			continue
		case r.Method == http.MethodGet && !strings.Contains(r.Path, "reveal"):
			continue
		}
		refused++
		t.Run(route, func(t *testing.T) {
			path := pathOf(r.Path)
			if strings.HasPrefix(r.Path, "/admin/api/") {
				req, _ := http.NewRequest(r.Method, olga.srv.URL+path, strings.NewReader(`{"key":"userId","value":"42","dry_run":false}`))
				req.Header.Set("Content-Type", "application/json")
				res, err := olga.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				var body struct {
					Error struct{ Code, Message string }
				}
				_ = json.NewDecoder(res.Body).Decode(&body)
				if res.StatusCode != http.StatusForbidden || body.Error.Code != scopes.EForbidden || !strings.Contains(body.Error.Message, "operator") {
					t.Errorf("%s as an operator: %d %+v, want 403 forbidden", route, res.StatusCode, body)
				}
				return
			}
			var p page
			if r.Method == http.MethodGet {
				p = olga.get(path)
			} else {
				f := url.Values{}
				for k, v := range form {
					f[k] = v
				}
				f.Set("_csrf", olga.csrf)
				req, _ := http.NewRequest(r.Method, olga.srv.URL+path, strings.NewReader(f.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				p = olga.do(req)
			}
			if p.status != http.StatusForbidden {
				t.Fatalf("%s as an operator: %d, want 403\n%s", route, p.status, p.body)
			}
			msg := p.testid("error-message")
			if !strings.Contains(msg, "olga, an operator") || !strings.Contains(msg, "needs the administrator role") ||
				!strings.Contains(p.testid("error-hint"), "admin, bob") {
				t.Errorf("%s: the refusal says %q / %q", route, msg, p.testid("error-hint"))
			}
		})
	}
	if refused < 25 {
		t.Errorf("only %d routes were checked: does the walk still see the routes?", refused)
	}
	if after := tc.stateOf(t, sc.CFID); after != before {
		t.Errorf("an operator's refused requests changed something:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Each refusal is in the audit log; the ?reveal=1 page above is one more.
	if n := tc.refusalCount(t); n != refused+1 {
		t.Errorf("%d refusals in the audit log, want %d", n, refused+1)
	}
	if !olga.signedIn() {
		t.Error("olga's session ended")
	}
	// Her own password she may change.
	olga.get("/admin/password")
	p := olga.post("/admin/password", url.Values{"current": {operatorPassword}, "password": {"olga's next password"}, "confirm": {"olga's next password"}})
	mustStatus(t, p, http.StatusSeeOther)
}

// The views hide from an operator the buttons it may not use, and keep
// the pages readable: the settings are shown, disabled.
func TestOperatorViewsHideTheChanges(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	sc := tc.createScope(t, "shop", scopes.Session, `{"userId":42}`)
	tc.addUser(t, "olga", scopes.RoleOperator, operatorPassword)
	olga := tc.browser(t, "olga", operatorPassword)
	for _, c := range []struct {
		path   string
		hidden []string
	}{
		{"/admin/apps", []string{"create-app"}},
		{"/admin/apps/shop", []string{"add-key-form", "key-revoke", "keys-at-once", "delete-form", "save"}},
		{"/admin/scope", []string{"save"}},
		{"/admin/caches", []string{"new-connection"}},
		{"/admin/users", []string{"add-user-form"}},
		{"/admin/sessions?app=shop&scope=session", []string{"invalidate-all-link", "select-form", "session-select"}},
		{"/admin/sessions/shop/session/" + sc.CFID, []string{"invalidate-form"}},
	} {
		p := olga.get(c.path)
		mustStatus(t, p, http.StatusOK)
		for _, id := range c.hidden {
			if p.doc.Find(`[data-testid="`+id+`"]`).Length() != 0 {
				t.Errorf("%s shows %s to an operator", c.path, id)
			}
		}
		// What the administrator sees there, the operator's page lacks.
		a := tc.get(c.path)
		for _, id := range c.hidden {
			if a.doc.Find(`[data-testid="`+id+`"]`).Length() == 0 {
				t.Errorf("%s does not show %s to an administrator either: the test looks for the wrong thing", c.path, id)
			}
		}
	}
	p := olga.get("/admin/apps/shop")
	if p.doc.Find(`[data-testid="settings-fields"][disabled]`).Length() != 1 || p.testid("readonly-note") == "" {
		t.Errorf("the app's settings are not shown disabled to an operator:\n%s", p.body)
	}
	if p.testid("role") != "Operator" {
		t.Errorf("top bar role %q", p.testid("role"))
	}
	if p := tc.get("/admin/apps/shop"); p.doc.Find(`[data-testid="settings-fields"][disabled]`).Length() != 0 {
		t.Error("the settings are disabled for an administrator")
	}
}
