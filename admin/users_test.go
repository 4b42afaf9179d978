package admin_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

const operatorPassword = "operator's long password"

// addUser adds a user straight to the config store, as the CLI does.
func (tc *testConsole) addUser(t *testing.T, name, role, password string) {
	t.Helper()
	if err := (admin.Users{Store: tc.config}).Add(context.Background(), name, role, password); err != nil {
		t.Fatalf("add %s: %v", name, err)
	}
}

// browser returns another browser on the same console, with cookies of
// its own, logged in as user.
func (tc *testConsole) browser(t *testing.T, user, password string) *testConsole {
	t.Helper()
	return tc.browserTo(t, user, password, "/admin/")
}

// browserTo is browser for a user whose login leads to landing: the
// Password page for a user whose password was generated.
func (tc *testConsole) browserTo(t *testing.T, user, password, landing string) *testConsole {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	other := *tc
	other.t = t
	other.client = &http.Client{Jar: jar, CheckRedirect: tc.client.CheckRedirect}
	other.csrf = ""
	other.get("/admin/login")
	if p := other.post("/admin/login", url.Values{"username": {user}, "password": {password}}); p.status != http.StatusSeeOther || p.location != landing {
		t.Fatalf("login as %s: %d → %q\n%s", user, p.status, p.location, p.body)
	}
	return &other
}

// signedIn tells whether the browser's session still opens the console.
func (tc *testConsole) signedIn() bool {
	p := tc.get("/admin/")
	return p.status == http.StatusOK
}

// auditOf returns the newest entry of the action, failing without one.
func (tc *testConsole) auditOf(t *testing.T, action string) scopes.AuditEntry {
	t.Helper()
	e, ok := tc.findAudit(t, action)
	if !ok {
		t.Fatalf("no audit entry %s", action)
	}
	return e
}

// findAudit returns the newest audit entry of action, found false when
// there is none.
func (tc *testConsole) findAudit(t *testing.T, action string) (scopes.AuditEntry, bool) {
	t.Helper()
	entries, err := tc.config.Audit(context.Background(), 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == action {
			return e, true
		}
	}
	return scopes.AuditEntry{}, false
}

func TestUsersPageAddsAndListsUsers(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	p := tc.get("/admin/users")
	mustStatus(t, p, http.StatusOK)
	// SCOPESTORE_ADMIN_PASSWORD's admin is listed as an administrator once it logged in.
	if got := p.doc.Find(`[data-testid="user-admin"] [data-testid="user-role"]`).Text(); got != "administrator" {
		t.Errorf("admin's role %q\n%s", got, p.body)
	}
	if got := p.doc.Find(`[data-testid="user-admin"] [data-testid="user-last-login"]`).Text(); got != "just now" {
		t.Errorf("admin's last login %q", got)
	}
	if p.testid("user-me") != "(you)" || p.doc.Find(`[data-testid="nav-users"][aria-current="page"]`).Length() != 1 {
		t.Error("the page does not mark the signed-in user, or Users in the navigation")
	}

	// Refused forms keep what was typed and say what is wrong beside each field.
	for _, c := range []struct {
		name  string
		form  url.Values
		field string
		says  string
	}{
		{"a space in the name", url.Values{"name": {"olga k"}, "role": {"operator"}}, "error-name", "without spaces"},
		{"no name", url.Values{"name": {""}, "role": {"operator"}}, "error-name", "64 characters"},
		{"a bad role", url.Values{"name": {"olga"}, "role": {"root"}}, "error-role", "administrator or operator"},
		{"a short password", url.Values{"name": {"olga"}, "role": {"operator"}, "password": {"short"}, "confirm": {"short"}}, "error-password", "12 characters"},
		{"passwords that differ", url.Values{"name": {"olga"}, "role": {"operator"}, "password": {operatorPassword}, "confirm": {"another"}}, "error-confirm", "differ"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := tc.post("/admin/users", c.form)
			mustStatus(t, p, http.StatusUnprocessableEntity)
			if got := p.testid(c.field); !strings.Contains(got, c.says) {
				t.Errorf("%s = %q, want %q", c.field, got, c.says)
			}
			if got := p.doc.Find("#user-name").AttrOr("value", ""); got != c.form.Get("name") {
				t.Errorf("the name was not kept: %q", got)
			}
			if strings.Contains(p.body, "short") && c.field == "error-password" && strings.Contains(p.body, `value="short"`) {
				t.Error("the page shows the password typed")
			}
		})
	}
	// Every field's problem shows at once, not the first alone.
	p = tc.post("/admin/users", url.Values{"name": {"olga k"}, "role": {"root"}, "password": {"short"}, "confirm": {"other"}})
	mustStatus(t, p, http.StatusUnprocessableEntity)
	for field, says := range map[string]string{"error-name": "without spaces", "error-role": "administrator or operator",
		"error-password": "12 characters"} {
		if got := p.testid(field); !strings.Contains(got, says) {
			t.Errorf("with every field wrong, %s = %q, want %q", field, got, says)
		}
	}

	// A typed password: back to the list, with the user in it.
	p = tc.post("/admin/users", url.Values{"name": {"olga"}, "role": {"operator"}, "password": {operatorPassword}, "confirm": {operatorPassword}})
	if p.status != http.StatusSeeOther || p.location != "/admin/users" {
		t.Fatalf("add olga: %d → %q\n%s", p.status, p.location, p.body)
	}
	p = tc.get("/admin/users")
	if !strings.Contains(p.testid("flash"), "olga is added as an operator") {
		t.Errorf("flash %q", p.testid("flash"))
	}
	if got := p.doc.Find(`[data-testid="user-olga"] [data-testid="user-role"]`).Text(); got != "operator" {
		t.Errorf("olga's role %q", got)
	}
	if got := p.doc.Find(`[data-testid="user-olga"] [data-testid="user-last-login"]`).Text(); got != "never" {
		t.Errorf("olga's last login %q", got)
	}
	if e := tc.auditOf(t, "admin.user.add"); e.Actor != "admin:admin" || e.Target != "olga" || !strings.Contains(e.Detail, "operator") {
		t.Errorf("audit %+v", e)
	}
	olga := tc.browser(t, "olga", operatorPassword)
	if got := olga.get("/admin/").testid("role"); got != "Operator" {
		t.Errorf("olga's top bar says %q", got)
	}

	// The same name again is refused beside the field.
	p = tc.post("/admin/users", url.Values{"name": {"olga"}, "role": {"administrator"}, "password": {operatorPassword}, "confirm": {operatorPassword}})
	mustStatus(t, p, http.StatusConflict)
	if !strings.Contains(p.testid("error-name"), "already") {
		t.Errorf("error-name %q", p.testid("error-name"))
	}

	// No password: one is generated, shown once, and works.
	p = tc.post("/admin/users", url.Values{"name": {"bob"}, "role": {"administrator"}})
	mustStatus(t, p, http.StatusOK)
	generated := p.testid("new-password")
	if len(generated) < admin.MinPasswordLength || !strings.Contains(p.testid("password-warning"), "not shown again") {
		t.Fatalf("generated password %q\n%s", generated, p.body)
	}
	tc.browserTo(t, "bob", generated, "/admin/password")
	if p := tc.get("/admin/users"); strings.Contains(p.body, generated) {
		t.Error("the list shows the generated password again")
	}
	// The stored password is a bcrypt hash.
	if u, _, _ := tc.config.AdminUser(context.Background(), "bob"); !strings.HasPrefix(u.PasswordHash, "$2") {
		t.Errorf("bob's hash %q", u.PasswordHash)
	}
}

func TestUserRoleAndDeletion(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.addUser(t, "olga", scopes.RoleOperator, operatorPassword)
	olga := tc.browser(t, "olga", operatorPassword)
	if p := olga.get("/admin/users/olga"); p.testid("users-readonly") == "" || p.doc.Find(`[data-testid="role-form"]`).Length() != 0 {
		t.Errorf("an operator's view of a user offers changes:\n%s", p.body)
	}

	// olga becomes an administrator, from her next click on.
	tc.get("/admin/users/olga")
	p := tc.post("/admin/users/olga/role", url.Values{"role": {"administrator"}})
	if p.status != http.StatusSeeOther || p.location != "/admin/users/olga" {
		t.Fatalf("role: %d → %q\n%s", p.status, p.location, p.body)
	}
	if e := tc.auditOf(t, "admin.user.role"); e.Target != "olga" || e.Detail != "role: operator → administrator" {
		t.Errorf("audit %+v", e)
	}
	if got := olga.get("/admin/").testid("role"); got != "Administrator" {
		t.Errorf("olga's top bar after the change: %q", got)
	}
	mustStatus(t, tc.post("/admin/users/olga/role", url.Values{"role": {"operator"}}), http.StatusSeeOther)

	// admin is the last administrator: it keeps its role, and says why.
	tc.get("/admin/users/admin")
	p = tc.post("/admin/users/admin/role", url.Values{"role": {"operator"}})
	mustStatus(t, p, http.StatusConflict)
	if !strings.Contains(p.testid("error-role"), "last administrator") {
		t.Errorf("error-role %q", p.testid("error-role"))
	}
	p = tc.post("/admin/users/admin/role", url.Values{"role": {"superuser"}})
	mustStatus(t, p, http.StatusUnprocessableEntity)

	// Nobody deletes themselves.
	p = tc.get("/admin/users/admin")
	if p.testid("delete-self") == "" || p.doc.Find(`[data-testid="delete-form"]`).Length() != 0 {
		t.Errorf("one's own page offers deletion:\n%s", p.body)
	}
	p = tc.post("/admin/users/admin/delete", url.Values{"confirm": {"yes"}})
	mustStatus(t, p, http.StatusConflict)
	if !strings.Contains(p.testid("error-delete"), "cannot delete yourself") {
		t.Errorf("error-delete %q", p.testid("error-delete"))
	}

	// Deleting olga takes a ticked box, then ends her sessions.
	tc.get("/admin/users/olga")
	mustStatus(t, tc.post("/admin/users/olga/delete", nil), http.StatusUnprocessableEntity)
	if !olga.signedIn() {
		t.Fatal("an unconfirmed deletion ended olga's session")
	}
	p = tc.post("/admin/users/olga/delete", url.Values{"confirm": {"yes"}})
	if p.status != http.StatusSeeOther || p.location != "/admin/users" {
		t.Fatalf("delete: %d → %q\n%s", p.status, p.location, p.body)
	}
	if olga.signedIn() {
		t.Error("olga's session outlived her deletion")
	}
	if e := tc.auditOf(t, "admin.user.delete"); e.Target != "olga" || e.Actor != "admin:admin" {
		t.Errorf("audit %+v", e)
	}
	mustStatus(t, tc.get("/admin/users/olga"), http.StatusNotFound)
}

func TestAdministratorSetsAnotherUsersPassword(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.addUser(t, "olga", scopes.RoleOperator, operatorPassword)
	olga := tc.browser(t, "olga", operatorPassword)

	tc.get("/admin/users/olga")
	p := tc.post("/admin/users/olga/password", url.Values{"password": {"short"}, "confirm": {"short"}})
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.testid("error-password"), "12 characters") || !olga.signedIn() {
		t.Fatalf("a refused password: %q; olga signed in %v", p.testid("error-password"), olga.signedIn())
	}
	const typed = "a new password for olga"
	p = tc.post("/admin/users/olga/password", url.Values{"password": {typed}, "confirm": {typed}})
	mustStatus(t, p, http.StatusSeeOther)
	if olga.signedIn() {
		t.Error("olga's session outlived the password an administrator set")
	}
	olga = tc.browser(t, "olga", typed)
	if e := tc.auditOf(t, "admin.passwd"); e.Target != "olga" || !strings.Contains(e.Detail, "set by admin") {
		t.Errorf("audit %+v", e)
	}

	// A generated one is shown once.
	tc.get("/admin/users/olga")
	p = tc.post("/admin/users/olga/password", nil)
	mustStatus(t, p, http.StatusOK)
	if p.Header("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q on a page that shows a password", p.Header("Cache-Control"))
	}
	tc.browserTo(t, "olga", p.testid("new-password"), "/admin/password")
	if olga.signedIn() {
		t.Error("olga's session outlived a generated password")
	}
	// One's own password is changed on the Password page.
	tc.get("/admin/users/admin")
	if p := tc.post("/admin/users/admin/password", url.Values{"password": {typed}, "confirm": {typed}}); p.location != "/admin/password" {
		t.Errorf("setting one's own password → %d %q", p.status, p.location)
	}
}

func TestPasswordChange(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.addUser(t, "olga", scopes.RoleOperator, operatorPassword)
	olga := tc.browser(t, "olga", operatorPassword)
	laptop := tc.browser(t, "olga", operatorPassword)
	p := olga.get("/admin/password")
	mustStatus(t, p, http.StatusOK)
	if p.testid("env-password") != "" {
		t.Error("olga is told about SCOPESTORE_ADMIN_PASSWORD")
	}
	const fresh = "olga's brand new password"
	for _, c := range []struct {
		name  string
		form  url.Values
		field string
		says  string
	}{
		{"wrong current password", url.Values{"current": {"not it at all"}, "password": {fresh}, "confirm": {fresh}}, "error-current", "not your current password"},
		{"no current password", url.Values{"password": {fresh}, "confirm": {fresh}}, "error-current", "current password"},
		{"short", url.Values{"current": {operatorPassword}, "password": {"eleven char"}, "confirm": {"eleven char"}}, "error-password", "12 characters"},
		{"differ", url.Values{"current": {operatorPassword}, "password": {fresh}, "confirm": {fresh + "!"}}, "error-confirm", "differ"},
		{"same as now", url.Values{"current": {operatorPassword}, "password": {operatorPassword}, "confirm": {operatorPassword}}, "error-password", "other than the current"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := olga.post("/admin/password", c.form)
			mustStatus(t, p, http.StatusUnprocessableEntity)
			if got := p.testid(c.field); !strings.Contains(got, c.says) {
				t.Errorf("%s = %q, want %q", c.field, got, c.says)
			}
			if strings.Contains(p.body, operatorPassword) || strings.Contains(p.body, fresh) {
				t.Error("the page shows a password typed")
			}
		})
	}
	if !laptop.signedIn() {
		t.Fatal("a refused change ended another session")
	}

	p = olga.post("/admin/password", url.Values{"current": {operatorPassword}, "password": {fresh}, "confirm": {fresh}})
	if p.status != http.StatusSeeOther || p.location != "/admin/password" {
		t.Fatalf("change: %d → %q\n%s", p.status, p.location, p.body)
	}
	if p := olga.get("/admin/password"); p.status != http.StatusOK || !strings.Contains(p.testid("flash"), "other console sessions have ended") {
		t.Errorf("after the change, the session that made it: %d, flash %q", p.status, p.testid("flash"))
	}
	if laptop.signedIn() {
		t.Error("the change left olga's other session open")
	}
	if p := tc.loginAs("olga", operatorPassword, "", ""); p.status != http.StatusUnauthorized {
		t.Errorf("the old password still logs in: %d", p.status)
	}
	tc.browser(t, "olga", fresh)
	if e := tc.auditOf(t, "admin.passwd"); e.Actor != "admin:olga" || e.Target != "olga" || !strings.Contains(e.Detail, "changed by the user") {
		t.Errorf("audit %+v", e)
	}
}

func TestPasswordChangeWithTheEnvironmentPassword(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	p := tc.get("/admin/password")
	if !strings.Contains(p.testid("env-password"), "SCOPESTORE_ADMIN_PASSWORD") {
		t.Errorf("admin is not told that the variable stays a password:\n%s", p.body)
	}
	const own = "admin's own password now"
	p = tc.post("/admin/password", url.Values{"current": {testPassword}, "password": {own}, "confirm": {own}})
	mustStatus(t, p, http.StatusSeeOther)
	tc.browser(t, "admin", own)
	// The variable's password goes on working while it is set.
	tc.browser(t, "admin", testPassword)
}

func TestSetupMakesAnAdministratorAndLoginWorksForEveryUser(t *testing.T) {
	tc := newTestConsole(t, true)
	tc.get("/admin/setup")
	p := tc.post("/admin/setup", url.Values{"username": {"root"}, "password": {"long enough password"}, "confirm": {"long enough password"}})
	mustStatus(t, p, http.StatusSeeOther)
	u, found, err := tc.config.AdminUser(context.Background(), "root")
	if err != nil || !found || u.Role != scopes.RoleAdministrator || u.LastLogin.IsZero() {
		t.Fatalf("the setup's user: %+v, %v, %v", u, found, err)
	}
	tc.addUser(t, "olga", scopes.RoleOperator, operatorPassword)
	tc.browser(t, "olga", operatorPassword)
	for range 5 {
		tc.loginAs("olga", "wrong password", "", "")
	}
	// The address is locked out after five failures, for olga as for anyone.
	if p := tc.loginAs("olga", operatorPassword, "", ""); p.status != http.StatusTooManyRequests {
		t.Errorf("the sixth attempt: %d, want 429", p.status)
	}
}

// Header returns a response header of the page.
func (p page) Header(name string) string { return p.header.Get(name) }
