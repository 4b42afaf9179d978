package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// TestConsoleEmptySharedScope is emptying an application scope in a real
// browser, at a laptop's width and a phone's (screenshots shared-empty-*):
// the button on the scope's page, the confirmation, the page after; and
// the server scope's confirmation.
func TestConsoleEmptySharedScope(t *testing.T) {
	c, svc, cfg := startConsole(t, nil)
	bg := context.Background()
	if _, err := svc.directory.CreateApp(bg, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.directory.SetAppSettings(bg, "shop", map[string]string{"serverScopeWrite": "true"}); err != nil {
		t.Fatal(err)
	}
	eff, err := svc.directory.Effective(bg, "shop")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []scopes.Key{scopes.ApplicationKey("shop"), scopes.ServerKey()} {
		data := `{"motd":"Spring sale","visits":1042,"featureFlags":{"newCheckout":true,"darkMode":false}}`
		if _, err := svc.engine.SaveIf(bg, eff.Settings, k, json.RawMessage(data), scopes.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	c.logIn("admin", cfg.AdminPassword)

	c.shots("shared-empty-button", func(int) {
		if got := c.text(`[data-testid="empty-link"]`); got != "Empty the application scope…" {
			t.Errorf("button %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/apps/shop/application"), chromedp.WaitVisible(c13ID("empty-link")),
		chromedp.ScrollIntoView(c13ID("empty-link")))

	c.shots("shared-empty-confirm", func(int) {
		if got := c.text(`[data-testid="empty-version"]`); got != "1" {
			t.Errorf("version %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/apps/shop/application"), chromedp.WaitVisible(c13ID("empty-link")),
		chromedp.Click(c13ID("empty-link")), chromedp.WaitVisible(c13ID("empty-form")))

	// The box left unticked, then ticked: the scope's page says it is empty.
	c.shots("shared-empty-unticked", nil, chromedp.Navigate(c.url+"/admin/apps/shop/application/empty?version=1"),
		chromedp.WaitVisible(c13ID("empty-form")), chromedp.Click(c13ID("empty-submit")), chromedp.WaitVisible(c13ID("error-empty")))
	c.do("empty", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(c.url+"/admin/apps/shop/application/empty?version=1"),
		chromedp.WaitVisible(c13ID("empty-form")), chromedp.Click(c13ID("empty-confirm")), chromedp.Click(c13ID("empty-submit")),
		chromedp.WaitVisible(c13ID("data-empty")))
	if got := c.text(`[data-testid="flash"]`); !strings.Contains(got, "is emptied") {
		t.Errorf("flash %q", got)
	}
	screenshot(t, c.ctx, "shared-empty-done-1366")

	// A stale link: the confirmation says to look again.
	c.shots("shared-empty-stale", nil, chromedp.Navigate(c.url+"/admin/apps/shop/application/empty?version=1"),
		chromedp.WaitVisible(c13ID("empty-changed")))

	c.shots("shared-empty-server", nil, chromedp.Navigate(c.url+"/admin/scope/server"), chromedp.WaitVisible(c13ID("empty-link")),
		chromedp.Click(c13ID("empty-link")), chromedp.WaitVisible(c13ID("empty-form")))
}

// TestConsoleRedisTimeout is the Redis form's timeout in a real browser
// (screenshots redis-timeout-*): its example, a refusal, and 500ms taken.
func TestConsoleRedisTimeout(t *testing.T) {
	redisURL, prefix := conntest.RedisURL(t), conntest.RedisPrefix(t)
	c, svc, cfg := startConsole(t, nil)
	c.logIn("admin", cfg.AdminPassword)

	c.shots("redis-timeout-refused", func(int) {
		if got := c.text(`[data-testid="error-timeout"]`); !strings.Contains(got, "at most 1m") {
			t.Errorf("error-timeout %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/caches/new?type=redis"), chromedp.WaitVisible(c13ID("field-timeout")),
		chromedp.SendKeys(c13ID("name"), "fast"), chromedp.SendKeys(c13ID("field-url"), redisURL),
		chromedp.SendKeys(c13ID("field-prefix"), prefix), chromedp.SendKeys(c13ID("field-timeout"), "2m"),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("error-timeout")),
		chromedp.ScrollIntoView(c13ID("field-timeout")))

	c.do("create with 500ms", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(c.url+"/admin/caches/new?type=redis"),
		chromedp.WaitVisible(c13ID("field-timeout")),
		chromedp.SendKeys(c13ID("name"), "fast"), chromedp.SendKeys(c13ID("field-url"), redisURL),
		chromedp.SendKeys(c13ID("field-prefix"), prefix), chromedp.SendKeys(c13ID("field-timeout"), "500ms"),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("flash")))
	conn, err := svc.manager.Connection(context.Background(), "fast")
	if err != nil || conn.Params["timeout"] != "500ms" {
		t.Fatalf("stored %+v, %v", conn.Params, err)
	}
	c.shots("redis-timeout-saved", nil, chromedp.Navigate(c.url+"/admin/caches/fast"), chromedp.WaitVisible(c13ID("field-timeout")),
		chromedp.ScrollIntoView(c13ID("field-timeout")))
}
