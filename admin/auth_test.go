package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLoggedOutPagesRedirectToLogin(t *testing.T) {
	tc := newTestConsole(t, false)
	for _, path := range []string{"/admin/", "/admin", "/admin/scope", "/admin/apps", "/admin/apps/shop",
		"/admin/audit", "/admin/audit?before=10", "/admin/caches", "/admin/datasources"} {
		t.Run(path, func(t *testing.T) {
			p := tc.get(path)
			mustStatus(t, p, http.StatusSeeOther)
			if p.location != "/admin/login" && !(path == "/admin" && p.location == "/admin/") {
				t.Errorf("GET %s → %q, want /admin/login", path, p.location)
			}
		})
	}
	// The form posts of a signed-in admin are refused too, and change nothing.
	tc.get("/admin/login")
	p := tc.post("/admin/apps", url.Values{"name": {"shop"}})
	mustStatus(t, p, http.StatusSeeOther)
	if apps, _ := tc.dir.Apps(context.Background()); len(apps) != 0 {
		t.Errorf("a logged-out POST created %v", apps)
	}
}

func TestLoginWithAdminPassword(t *testing.T) {
	tc := newTestConsole(t, false)
	if p := tc.get("/admin/setup"); p.status != http.StatusSeeOther || p.location != "/admin/login" {
		t.Errorf("with SCOPESTORE_ADMIN_PASSWORD set, setup → %d %q; want the login page", p.status, p.location)
	}
	tc.get("/admin/login")
	p := tc.post("/admin/login", url.Values{"username": {"admin"}, "password": {"wrong password"}})
	mustStatus(t, p, http.StatusUnauthorized)
	if p.testid("error-password") == "" {
		t.Errorf("a wrong password shows no message beside the field:\n%s", p.body)
	}
	if got := p.doc.Find("#username").AttrOr("value", ""); got != "admin" {
		t.Errorf("the user name was not kept: %q", got)
	}
	tc.login()
	p = tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("user"); got != "admin" {
		t.Errorf("signed in as %q, want admin", got)
	}
	// Logging out ends the session.
	p = tc.post("/admin/logout", nil)
	mustStatus(t, p, http.StatusSeeOther)
	if p = tc.get("/admin/"); p.status != http.StatusSeeOther || p.location != "/admin/login" {
		t.Errorf("after logout, the overview → %d %q", p.status, p.location)
	}
}

func TestSetupFlow(t *testing.T) {
	tc := newTestConsole(t, true)
	if p := tc.get("/admin/login"); p.status != http.StatusSeeOther || p.location != "/admin/setup" {
		t.Fatalf("a fresh console's login page → %d %q; want the setup page", p.status, p.location)
	}
	mustStatus(t, tc.get("/admin/setup"), http.StatusOK)
	cases := []struct {
		name            string
		form            url.Values
		field, contains string
	}{
		{"short password", url.Values{"username": {"admin"}, "password": {"short"}, "confirm": {"short"}}, "error-password", "12 characters"},
		{"passwords differ", url.Values{"username": {"admin"}, "password": {"long enough password"}, "confirm": {"another long password"}}, "error-confirm", "differ"},
		{"user name with a space", url.Values{"username": {"the admin"}, "password": {"long enough password"}, "confirm": {"long enough password"}}, "error-username", "without spaces"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := tc.post("/admin/setup", c.form)
			mustStatus(t, p, http.StatusUnprocessableEntity)
			if got := p.testid(c.field); !strings.Contains(got, c.contains) {
				t.Errorf("%s = %q, want it to contain %q", c.field, got, c.contains)
			}
			if got := p.doc.Find("#username").AttrOr("value", ""); got != c.form.Get("username") {
				t.Errorf("the user name was not kept: %q", got)
			}
		})
	}
	p := tc.post("/admin/setup", url.Values{"username": {"admin"}, "password": {"long enough password"}, "confirm": {"long enough password"}})
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/" {
		t.Fatalf("setup → %q, want the overview", p.location)
	}
	p = tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if p.testid("user") != "admin" || p.testid("flash") == "" {
		t.Errorf("after setup: user %q, flash %q", p.testid("user"), p.testid("flash"))
	}
	// The setup step is over: it sends to the login page now.
	if p := tc.get("/admin/setup"); p.status != http.StatusSeeOther || p.location != "/admin/login" {
		t.Errorf("setup after setup → %d %q", p.status, p.location)
	}
}

func TestPostWithoutValidCSRFTokenIsRefused(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.get("/admin/apps")
	ctx := context.Background()
	before, _ := tc.dir.ServerSettings(ctx)
	for _, c := range []struct {
		name  string
		token []string
	}{{"no token", nil}, {"wrong token", []string{"not-the-token"}}} {
		t.Run(c.name, func(t *testing.T) {
			form := url.Values{"name": {"shop"}}
			scope := url.Values{"sessionStorage": {"file"}, "sessionType": {"inherit"}, "sessionManagement": {"inherit"},
				"sessionCluster": {"inherit"}, "clientManagement": {"inherit"}, "clientStorage": {"inherit"}, "clientCluster": {"inherit"}}
			if c.token != nil {
				form["_csrf"], scope["_csrf"] = c.token, c.token
			}
			p := tc.postRaw("/admin/apps", form)
			mustStatus(t, p, http.StatusForbidden)
			if !strings.Contains(p.testid("error-message"), "did not come from this console") {
				t.Errorf("the refusal says %q", p.testid("error-message"))
			}
			mustStatus(t, tc.postRaw("/admin/scope", scope), http.StatusForbidden)
		})
	}
	if apps, _ := tc.dir.Apps(ctx); len(apps) != 0 {
		t.Errorf("a refused form created %v", apps)
	}
	if after, _ := tc.dir.ServerSettings(ctx); after.Values["sessionStorage"] != before.Values["sessionStorage"] {
		t.Errorf("a refused form changed the session storage to %q", after.Values["sessionStorage"])
	}
	// The same form with the page's token goes through.
	tc.get("/admin/apps")
	mustStatus(t, tc.post("/admin/apps", url.Values{"name": {"shop"}}), http.StatusSeeOther)
}
