package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// TestConsoleUsersAndRoles is the console's users in a real browser, at a
// laptop's width and at a phone's (screenshots users-*): the Users page,
// adding a user (a refused form, then a generated password shown once), the
// Password page, an operator's view of an app's page (no button that
// changes anything, the settings disabled) and of a refusal, and the
// Password page that a user with a generated password is held on.
func TestConsoleUsersAndRoles(t *testing.T) {
	c, svc, cfg := startConsole(t, nil)
	ctx := c.ctx
	bg := context.Background()
	users := admin.Users{Store: svc.config}
	const olgaPassword = "olga's long password"
	for _, u := range []struct{ name, role, password string }{
		{"olga", scopes.RoleOperator, olgaPassword},
		{"bob.martin", scopes.RoleAdministrator, "bob's long password"},
		{"night-shift@ops", scopes.RoleOperator, "night shift's password"},
	} {
		if err := users.Add(bg, u.name, u.role, u.password); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.directory.CreateApp(bg, "shop"); err != nil {
		t.Fatal(err)
	}
	c.logIn("admin", cfg.AdminPassword)

	// 1. The Users page.
	c.shots("users-list", func(int) {
		if got := c.text(`[data-testid="user-admin"] [data-testid="user-role"]`); got != "administrator" {
			t.Errorf("admin's role %q", got)
		}
		if got := c.text(`[data-testid="user-olga"] [data-testid="user-last-login"]`); got != "never" {
			t.Errorf("olga's last login %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/users"), chromedp.WaitVisible(c13ID("users")))

	// 2. The add form, refused with its messages beside the fields.
	c.shots("users-add-form", func(int) {
		if got := c.text(`[data-testid="error-password"]`); !strings.Contains(got, "12 characters") {
			t.Errorf("error-password %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/users"), chromedp.WaitVisible(c13ID("add-user-form")),
		chromedp.SendKeys(c13ID("add-user-name"), "carol"),
		chromedp.SendKeys(c13ID("add-user-password"), "too short"),
		chromedp.SendKeys(c13ID("add-user-confirm"), "too short"),
		chromedp.Click(c13ID("add-user")), chromedp.WaitVisible(c13ID("error-password")),
		chromedp.ScrollIntoView(c13ID("add-user-form")))

	// 3. Without a password: one is generated and shown once.
	c.do("add carol", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(c.url+"/admin/users"),
		chromedp.WaitVisible(c13ID("add-user-form")), chromedp.SendKeys(c13ID("add-user-name"), "carol"),
		chromedp.Click(c13ID("add-user")), chromedp.WaitVisible(c13ID("new-password")))
	generated := c.text(`[data-testid="new-password"]`)
	if len(generated) < admin.MinPasswordLength {
		t.Fatalf("generated password %q", generated)
	}
	screenshot(t, ctx, "users-generated-1366")

	// A user's page: role, password, deletion.
	c.shots("users-user-page", func(int) {
		if c.count(`[data-testid="delete-form"]`) != 1 || c.count(`[data-testid="set-password-form"]`) != 1 {
			t.Error("olga's page lacks the deletion or the password form")
		}
	}, chromedp.Navigate(c.url+"/admin/users/olga"), chromedp.WaitVisible(c13ID("role-form")))

	// 4. The Password page.
	c.shots("users-password", func(int) {
		if !strings.Contains(c.text(`[data-testid="env-password"]`), "SCOPESTORE_ADMIN_PASSWORD") {
			t.Error("no note about SCOPESTORE_ADMIN_PASSWORD")
		}
	}, chromedp.Navigate(c.url+"/admin/password"), chromedp.WaitVisible(c13ID("password-form")))

	// 5. An app's page seen by an operator: the settings disabled, no
	// button that changes anything, the top bar naming the role.
	c.do("log out", chromedp.Click(c13ID("logout")), chromedp.WaitVisible(c13ID("username")))
	c.logIn("olga", olgaPassword)
	c.shots("users-operator-app", func(int) {
		if got := c.text(`[data-testid="role"]`); got != "Operator" {
			t.Errorf("top bar role %q", got)
		}
		for _, id := range []string{"add-key-form", "key-revoke", "keys-at-once", "delete-form", "save"} {
			if n := c.count(`[data-testid="` + id + `"]`); n != 0 {
				t.Errorf("the operator sees %s", id)
			}
		}
		if n := c.count(`[data-testid="settings-fields"]:disabled`); n != 1 {
			t.Error("the settings are not disabled for the operator")
		}
	}, chromedp.Navigate(c.url+"/admin/apps/shop"), chromedp.WaitVisible(c13ID("keys")))
	c.shots("users-operator-list", nil, chromedp.Navigate(c.url+"/admin/users"), chromedp.WaitVisible(c13ID("users-readonly")))
	c.shots("users-operator-refused", func(int) {
		if got := c.text(`[data-testid="error-message"]`); !strings.Contains(got, "olga, an operator") {
			t.Errorf("refusal %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/scope?reveal=1"), chromedp.WaitVisible(c13ID("error")))

	// The operator changes her own password; her last login shows to the administrator.
	c.do("operator's password", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(c.url+"/admin/password"),
		chromedp.WaitVisible(c13ID("password-form")),
		chromedp.SendKeys(c13ID("current"), olgaPassword),
		chromedp.SendKeys(c13ID("password"), "olga's next long password"),
		chromedp.SendKeys(c13ID("confirm"), "olga's next long password"),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("flash")))
	if got := c.text(`[data-testid="flash"]`); !strings.Contains(got, "Your password is changed") {
		t.Errorf("flash %q", got)
	}
	u, _, err := svc.config.AdminUser(bg, "olga")
	if err != nil || time.Since(u.LastLogin) > time.Minute {
		t.Errorf("olga's last login %v, %v", u.LastLogin, err)
	}

	// 6. Carol's generated password: her login lands on the Password page,
	// which every other page leads back to until she chooses her own.
	c.do("log out olga", chromedp.Click(c13ID("logout")), chromedp.WaitVisible(c13ID("username")))
	c.logIn("carol", generated)
	c.shots("users-must-change", func(int) {
		if got := c.text(`[data-testid="must-change"]`); !strings.Contains(got, "Choose your own password") {
			t.Errorf("must-change %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/apps"), chromedp.WaitVisible(c13ID("must-change")))
	const carolPassword = "carol's very own password"
	c.do("carol's password", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(c.url+"/admin/password"),
		chromedp.WaitVisible(c13ID("password-form")),
		chromedp.SendKeys(c13ID("current"), generated),
		chromedp.SendKeys(c13ID("password"), carolPassword),
		chromedp.SendKeys(c13ID("confirm"), carolPassword),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("flash")))
	if got := c.text(`[data-testid="flash"]`); !strings.Contains(got, "Your password is set") {
		t.Errorf("flash %q", got)
	}
	screenshot(t, ctx, "users-must-change-done-1366")
	if u, _, err := svc.config.AdminUser(bg, "carol"); err != nil || u.MustChangePassword {
		t.Errorf("carol must still change her password: %v", err)
	}
}
