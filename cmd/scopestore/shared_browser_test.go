package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/scopestore/scopestore/scopes"
)

// TestSharedScopesInTheConsole shows the application and server scopes in
// a real browser, at a laptop's width and a phone's: the app page's
// summary, the application scope with its data masked, the empty state of
// an app that has not started one, the server scope with the apps that
// write it, and the Scope page with its settings and per-instance warning.
func TestSharedScopesInTheConsole(t *testing.T) {
	c, svc, cfg := startConsole(t, nil)

	bg := context.Background()
	for _, app := range []string{"shop", "intranet-portal-with-a-long-name"} {
		if _, err := svc.directory.CreateApp(bg, app); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.directory.SetAppSettings(bg, "shop", map[string]string{scopes.SensitiveKeys: "dob",
		scopes.ServerScopeWrite: "true", scopes.ApplicationTimeout: "2d"}); err != nil {
		t.Fatal(err)
	}
	eff, err := svc.directory.Effective(bg, "shop")
	if err != nil {
		t.Fatal(err)
	}
	for key, data := range map[scopes.Key]string{
		scopes.ApplicationKey("shop"): `{"startedAt":"2026-03-01T08:00:00Z","visitors":18342,"featureFlags":{"newCheckout":true,"darkMode":false},` +
			`"currencyRates":{"EUR":1,"USD":1.0842,"GBP":0.8571},"paymentApiToken":"sk_live_abcdef0123456789","owner":{"name":"Ann Lee","dob":"1970-01-01"},` +
			`"motd":"Free shipping over €50 <b>this week</b>"}`,
		scopes.ServerKey(): `{"maintenance":false,"banner":"Planned upgrade Sunday 02:00 UTC","smtpPassword":"hunter2","regions":["eu-west","us-east"]}`,
	} {
		if _, err := svc.engine.LoadShared(bg, eff.Settings, key); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.engine.SaveIf(bg, eff.Settings, key, json.RawMessage(data), scopes.Cond{}); err != nil {
			t.Fatal(err)
		}
	}

	c.logIn("admin", cfg.AdminPassword)

	c.shots("20-app-page-application", func(int) {
		if got := c.text(`[data-testid="summary-version"]`); got != "2" {
			t.Errorf("app page summary version %q", got)
		}
		if got := c.text(`[data-testid="summary-server-write"]`); !strings.Contains(got, "may write") {
			t.Errorf("app page says %q of the server scope", got)
		}
	}, chromedp.Navigate(c.url+"/admin/apps/shop"), chromedp.WaitVisible(c13ID("summary-application")))

	c.shots("21-application-scope", func(int) {
		if got := c.text(`[data-testid="masked-paymentApiToken"]`); got != scopes.Mask {
			t.Errorf("paymentApiToken shows %q", got)
		}
		if got := c.text(`[data-testid="masked-dob"]`); got != scopes.Mask {
			t.Errorf("dob shows %q", got)
		}
		if got := c.text(`[data-testid="per-instance"]`); !strings.Contains(got, "Per instance") {
			t.Errorf("per-instance warning %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/apps/shop"), chromedp.WaitVisible(c13ID("open-application")),
		chromedp.Click(c13ID("open-application")), chromedp.WaitVisible(c13ID("data")))

	c.shots("22-application-scope-empty", func(int) {
		if got := c.text(`[data-testid="shared-empty"]`); !strings.Contains(got, "No application scope yet") {
			t.Errorf("empty state %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/apps/intranet-portal-with-a-long-name/application"), chromedp.WaitVisible(c13ID("shared-empty")))

	c.shots("23-server-scope", func(int) {
		if got := c.text(`[data-testid="writers"]`); !strings.Contains(got, "shop") {
			t.Errorf("writers %q", got)
		}
		if got := c.text(`[data-testid="masked-smtpPassword"]`); got != scopes.Mask {
			t.Errorf("smtpPassword shows %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/scope"), chromedp.WaitVisible(c13ID("open-server")),
		chromedp.Click(c13ID("open-server")), chromedp.WaitVisible(c13ID("writers")))

	c.shots("24-scope-page", func(int) {
		if got := c.text(`[data-testid="serverStorage-per-instance"]`); !strings.Contains(got, "In memory now, so per instance") {
			t.Errorf("server storage warning %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/scope"), chromedp.WaitVisible(c13ID("server-settings")))

	c.shots("25-application-storage-change", func(int) {
		if got := c.text(`[data-testid="move-shop-application"]`); !strings.Contains(got, "1, with its data") {
			t.Errorf("the move reads %q", got)
		}
		if got := c.text(`[data-testid="shared-not-moved"]`); !strings.Contains(got, "starts empty in the new storage") {
			t.Errorf("not-moved note %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/apps/shop"), chromedp.WaitVisible(c13ID("settings-form")),
		chromedp.SetValue(chromedp.CSS("#applicationStorage"), "file"),
		chromedp.Click(c13ID("save")), chromedp.WaitVisible(c13ID("storage-change")))
}
