package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/admin"
)

const testSetupToken = "5f1c0f3e9a7b4d2c8e6a1b3d5f7a9c0e"

func TestSetupTokenRequiredWhenGiven(t *testing.T) {
	tc := newTestConsoleOn(t, true, nil, func(o *admin.Options) { o.SetupToken = testSetupToken })
	p := tc.get("/admin/setup")
	mustStatus(t, p, http.StatusOK)
	if p.doc.Find(`[data-testid="token"]`).Length() != 1 {
		t.Fatalf("the setup form has no setup token field:\n%s", p.body)
	}
	good := url.Values{"username": {"admin"}, "password": {"long enough password"}, "confirm": {"long enough password"}}
	with := func(token string) url.Values {
		f := url.Values{"token": {token}}
		for k, v := range good {
			f[k] = v
		}
		return f
	}
	cases := []struct {
		name     string
		form     url.Values
		status   int
		contains string
	}{
		{"no token", good, http.StatusUnprocessableEntity, "Enter the setup token"},
		{"wrong token", with("0000" + testSetupToken[4:]), http.StatusForbidden, "not the setup token"},
		{"token with a character more", with(testSetupToken + "0"), http.StatusForbidden, "not the setup token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := tc.post("/admin/setup", c.form)
			mustStatus(t, p, c.status)
			if got := p.testid("error-token"); !strings.Contains(got, c.contains) {
				t.Errorf("error-token = %q, want it to contain %q", got, c.contains)
			}
			if users, _ := tc.config.AdminUsers(context.Background()); len(users) != 0 {
				t.Fatalf("a refused setup created %v", users)
			}
		})
	}
	mustStatus(t, tc.get("/admin/setup"), http.StatusOK)
	// The token as copied from the log, spaces around it, goes through.
	p = tc.post("/admin/setup", with(" "+testSetupToken+"\n"))
	mustStatus(t, p, http.StatusSeeOther)
	if users, _ := tc.config.AdminUsers(context.Background()); len(users) != 1 {
		t.Errorf("after setup with the token: %d administrators, want 1", len(users))
	}
}

func TestSetupWithoutTokenOnLoopback(t *testing.T) {
	tc := newTestConsole(t, true)
	p := tc.get("/admin/setup")
	mustStatus(t, p, http.StatusOK)
	if p.doc.Find(`[data-testid="token"]`).Length() != 0 {
		t.Errorf("without a setup token the form asks for one:\n%s", p.body)
	}
}
