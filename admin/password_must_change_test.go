package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// mustChange tells whether the config store says user must change their
// password.
func (tc *testConsole) mustChange(t *testing.T, user string) bool {
	t.Helper()
	u, found, err := tc.config.AdminUser(context.Background(), user)
	if err != nil || !found {
		t.Fatalf("AdminUser(%s): %v, %v", user, found, err)
	}
	return u.MustChangePassword
}

// A user added on the Users page with a generated password lands on the
// Password page at login, and every other page leads there, until they
// choose their own password; then the console is theirs.
func TestGeneratedPasswordMustBeChanged(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.get("/admin/users")
	p := tc.post("/admin/users", url.Values{"name": {"carol"}, "role": {"administrator"}})
	mustStatus(t, p, http.StatusOK)
	generated := p.testid("new-password")
	if !strings.Contains(p.testid("user-added"), "at their first login the console asks them to choose their own") {
		t.Errorf("the page says %q", p.testid("user-added"))
	}
	if !tc.mustChange(t, "carol") {
		t.Fatal("a generated password is not marked to be changed")
	}
	if e := tc.auditOf(t, "admin.user.add"); !strings.Contains(e.Detail, "generated password to change at the first login") {
		t.Errorf("audited as %+v", e)
	}

	carol := tc.browserTo(t, "carol", generated, "/admin/password")
	p = carol.get("/admin/password")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("must-change"); !strings.Contains(got, "Choose your own password") || !strings.Contains(got, "generated") {
		t.Errorf("the Password page says %q", got)
	}
	// Every other page leads to the Password page, and no change goes through.
	for _, path := range []string{"/admin/", "/admin/apps", "/admin/users", "/admin/scope/server", "/admin/audit"} {
		if p := carol.get(path); p.status != http.StatusSeeOther || p.location != "/admin/password" {
			t.Errorf("GET %s: %d → %q", path, p.status, p.location)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, carol.srv.URL+"/admin/sessions/table", nil)
	req.Header.Set("HX-Request", "true")
	if p := carol.do(req); p.header.Get("HX-Redirect") != "/admin/password" {
		t.Errorf("htmx request: %d, HX-Redirect %q", p.status, p.header.Get("HX-Redirect"))
	}
	carol.get("/admin/password")
	if p := carol.post("/admin/apps", url.Values{"name": {"sneaky"}}); p.status != http.StatusSeeOther || p.location != "/admin/password" {
		t.Errorf("POST /admin/apps: %d → %q", p.status, p.location)
	}
	if _, err := tc.dir.Effective(ctx, "sneaky"); err == nil {
		t.Error("a user who must change their password created an app")
	}

	// The generated password again is refused; one of her own opens the console.
	carol.get("/admin/password")
	p = carol.post("/admin/password", url.Values{"current": {generated}, "password": {generated}, "confirm": {generated}})
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if !tc.mustChange(t, "carol") {
		t.Fatal("a refused change cleared the flag")
	}
	const chosen = "carol's own long password"
	p = carol.post("/admin/password", url.Values{"current": {generated}, "password": {chosen}, "confirm": {chosen}})
	if p.status != http.StatusSeeOther || p.location != "/admin/" {
		t.Fatalf("change: %d → %q\n%s", p.status, p.location, p.body)
	}
	if tc.mustChange(t, "carol") {
		t.Error("the flag stays after carol chose her password")
	}
	p = carol.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("flash"); !strings.Contains(got, "Your password is set") {
		t.Errorf("flash %q", got)
	}
	if p := carol.get("/admin/password"); p.testid("must-change") != "" {
		t.Error("the Password page still asks for a change")
	}
	tc.browser(t, "carol", chosen)
}

// A password typed by an administrator, on the Users page or a user's
// page, or by the command line's 'admin passwd', needs no change; one
// generated for an existing user does. A user may still log out.
func TestTypedPasswordNeedsNoChange(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.get("/admin/users")
	p := tc.post("/admin/users", url.Values{"name": {"olga"}, "role": {"operator"}, "password": {operatorPassword}, "confirm": {operatorPassword}})
	mustStatus(t, p, http.StatusSeeOther)
	if tc.mustChange(t, "olga") {
		t.Fatal("a typed password is marked to be changed")
	}
	tc.browser(t, "olga", operatorPassword)

	// A generated password set on the user's page.
	tc.get("/admin/users/olga")
	p = tc.post("/admin/users/olga/password", nil)
	mustStatus(t, p, http.StatusOK)
	if !strings.Contains(p.testid("user-password-set"), "at their next login") || !tc.mustChange(t, "olga") {
		t.Fatalf("a generated password for olga: %q, flag %v", p.testid("user-password-set"), tc.mustChange(t, "olga"))
	}
	olga := tc.browserTo(t, "olga", p.testid("new-password"), "/admin/password")
	olga.get("/admin/password")
	if p := olga.post("/admin/logout", nil); p.status != http.StatusSeeOther || p.location != "/admin/login" {
		t.Errorf("logout: %d → %q", p.status, p.location)
	}

	// A typed one clears it, on the user's page and from the command line.
	tc.get("/admin/users/olga")
	const typed = "a password typed for olga"
	mustStatus(t, tc.post("/admin/users/olga/password", url.Values{"password": {typed}, "confirm": {typed}}), http.StatusSeeOther)
	if tc.mustChange(t, "olga") {
		t.Error("a typed password set on olga's page keeps the flag")
	}
	users := admin.Users{Store: tc.config}
	if _, err := users.SetGeneratedPassword(ctx, "olga", "test"); err != nil || !tc.mustChange(t, "olga") {
		t.Fatalf("SetGeneratedPassword: %v, flag %v", err, tc.mustChange(t, "olga"))
	}
	if err := users.SetPassword(scopes.WithActor(ctx, "cli:root"), "olga", operatorPassword, "", "set with 'scopestore admin passwd'"); err != nil {
		t.Fatal(err)
	}
	if tc.mustChange(t, "olga") {
		t.Error("'admin passwd' keeps the flag")
	}
	tc.browser(t, "olga", operatorPassword)
}
