package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// sectionShot saves the element sel selects as PNG, beside screenshot's
// pages (SCOPESTORE_SCREENSHOTS, or the test's temporary directory).
func sectionShot(t *testing.T, ctx context.Context, sel, name string) {
	t.Helper()
	dir := os.Getenv("SCOPESTORE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleKeysWithoutDowntime is the administrator's replacement of an
// API key in a real browser, at a laptop's width and at a phone's: the app
// page lists the keys with their last use, "Add key" shows the new key once,
// the old key's revocation says it is still in use, and the last key's
// revocation says the app will get 401s and takes a ticked box.
func TestConsoleKeysWithoutDowntime(t *testing.T) {
	c, svc, cfg := startConsole(t, nil)
	ctx := c.ctx
	c.logIn("admin", cfg.AdminPassword)

	for _, size := range [][2]int64{{1366, 900}, {390, 844}} {
		width := size[0]
		app := fmt.Sprintf("shop%d", width)
		bg := context.Background()
		old, err := svc.directory.CreateApp(bg, app)
		if err != nil {
			t.Fatal(err)
		}
		// An app in service: its first key used by the application, a
		// second one added earlier and revoked.
		if _, err := svc.directory.Authenticate(bg, old); err != nil {
			t.Fatal(err)
		}
		_, spare, err := svc.directory.AddKey(bg, app, "staging, retired")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.directory.RevokeKey(bg, app, spare.ID, false); err != nil {
			t.Fatal(err)
		}
		svc.directory.WaitKeyUses()
		name := func(step string) string { return fmt.Sprintf("keys-%s-%d", step, width) }
		fits := func(what string) {
			t.Helper()
			if width != 390 {
				return
			}
			over, err := chromedp.Run(ctx, chromedp.Evaluate[string](c13Overflow))
			if err != nil {
				t.Fatal(err)
			}
			if over != "" {
				t.Errorf("%s does not fit a phone: %s", what, over)
			}
		}

		// 1. The app page's keys.
		c.do("app page", chromedp.EmulateViewport(width, size[1]), chromedp.Navigate(c.url+"/admin/apps/"+app),
			chromedp.WaitVisible(c13ID("keys-table")), chromedp.ScrollIntoView(c13ID("keys")))
		if got := c.text(`[data-testid="keys-table"] [data-testid="key-last-used"]`); got != "just now" {
			t.Errorf("the used key's last use: %q", got)
		}
		fits("the app page")
		sectionShot(t, ctx, `.toolbar`, name("00-header"))
		sectionShot(t, ctx, `[data-testid="keys"]`, name("01-keys"))
		screenshot(t, ctx, name("01-app-page"))

		// 2. Add a key with a label: shown once, with a copy button.
		c.do("add key", chromedp.SendKeys(c13ID("key-label-input"), "web servers, December"),
			chromedp.Click(c13ID("add-key")), chromedp.WaitVisible(c13ID("api-key")))
		fresh := c.text(`[data-testid="api-key"]`)
		if !strings.HasPrefix(fresh, "ssk_") || !strings.Contains(c.text(`[data-testid="key-warning"]`), "not shown again") {
			t.Fatalf("the new key's page: key %q", fresh)
		}
		fits("the new key's page")
		screenshot(t, ctx, name("02-new-key"))
		if got, err := svc.directory.Authenticate(bg, fresh); err != nil || got != app {
			t.Fatalf("the new key: %q, %v", got, err)
		}
		if got, err := svc.directory.Authenticate(bg, old); err != nil || got != app {
			t.Fatalf("the old key after adding one: %q, %v", got, err)
		}
		// A reload adds no other key and shows this one no more.
		c.do("reload the new key's page", chromedp.Reload(), chromedp.WaitVisible(c13ID("flash")))
		if got := c.text(`[data-testid="flash"]`); !strings.Contains(got, "shown once") || c.count(`[data-testid="api-key"]`) != 0 {
			t.Errorf("after a reload: flash %q, %d keys shown", got, c.count(`[data-testid="api-key"]`))
		}
		if keys, err := svc.directory.Keys(bg, app); err != nil || len(keys) != 3 {
			t.Errorf("%d keys after a reload, want 3 (%v)", len(keys), err)
		}

		// 3. Revoke the old key: the page says it is still in use.
		c.do("revoke old", chromedp.Navigate(c.url+"/admin/apps/"+app),
			chromedp.WaitVisible(c13ID("keys-table")),
			chromedp.Click(`[data-testid="keys-table"] tbody tr:first-child [data-testid="key-revoke"]`),
			chromedp.WaitVisible(c13ID("revoke-key-form")))
		if got := c.text(`[data-testid="revoke-key-recent"]`); !strings.Contains(got, "just now") {
			t.Errorf("no warning that the old key is in use: %q", got)
		}
		fits("the revocation page")
		screenshot(t, ctx, name("03-revoke-old"))
		c.do("confirm revoke old", chromedp.Click(c13ID("revoke-key-submit")), chromedp.WaitVisible(c13ID("flash")))
		if _, err := svc.directory.Authenticate(bg, old); err == nil {
			t.Error("the old key works after its revocation")
		}
		c.do("scroll", chromedp.ScrollIntoView(c13ID("keys")))
		fits("the app page after revoking")
		sectionShot(t, ctx, `[data-testid="keys"]`, name("04-keys-after-revoke"))

		// 4. The last key: the page says the app gets 401s; the box is required.
		c.do("revoke last", chromedp.Click(`[data-testid="keys-table"] [data-testid="key-revoke"]`),
			chromedp.WaitVisible(c13ID("revoke-key-last")))
		if got := c.text(`[data-testid="revoke-key-last"]`); !strings.Contains(got, "401") {
			t.Errorf("the last key's page: %q", got)
		}
		fits("the last key's revocation page")
		screenshot(t, ctx, name("05-revoke-last"))
		if c.count(`[data-testid="revoke-key-confirm"][type="checkbox"]`) != 1 {
			t.Fatal("no confirmation box for the last key")
		}
		c.do("unconfirmed last", chromedp.Click(c13ID("revoke-key-submit")), chromedp.WaitVisible(c13ID("error-revoke-key")))
		if got, err := svc.directory.Authenticate(bg, fresh); err != nil || got != app {
			t.Fatalf("an unconfirmed revocation of the last key revoked it: %v", err)
		}
		screenshot(t, ctx, name("06-revoke-last-unconfirmed"))
	}
}
