package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scopestore/scopestore/scopes"
)

// TestAuditLogInTheBrowser is the audit log an operator reads: failed
// logins recorded, the filter form (a GET form, so the address is the
// bookmark), paging that keeps the filters, the export link and the
// retention, at a laptop's width and a phone's.
func TestAuditLogInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CacheTTL = 0
	cfg.AdminPassword = "a long admin password"
	cfg.AuditRetention = 90 * 24 * time.Hour
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := open(context.Background(), &cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(svc, &cfg, logger))
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	c := &console13{t: t, ctx: ctx, url: srv.URL}

	// Two failed logins, then the right password.
	for _, pw := range []string{"guess one", "guess two", cfg.AdminPassword} {
		after := c13ID("error-password")
		if pw == cfg.AdminPassword {
			after = c13ID("nav-overview")
		}
		c.do("log in", chromedp.Navigate(c.url+"/admin/login"), chromedp.WaitVisible(c13ID("username")),
			chromedp.SetValue(c13ID("username"), "admin"), chromedp.SendKeys(c13ID("password"), pw),
			chromedp.Click(c13ID("submit")), chromedp.WaitVisible(after))
	}

	// A month of an operator's work: a few people, apps and sessions.
	now := time.Now().UTC()
	actors := []string{"admin:alice", "cli:root", "admin:bob", "app:shop"}
	actions := []string{"session.invalidate", "app.settings", "session.view", "connection.edit", "client.list"}
	for i := range 140 {
		e := scopes.AuditEntry{At: now.Add(-time.Duration(140-i) * 5 * time.Hour), Actor: actors[i%len(actors)],
			Action: actions[i%len(actions)], Target: fmt.Sprintf("shop session 0f8fad5b-d9cb-469f-a165-70867728%04d", i),
			Detail: "invalidated by an administrator from the console"}
		switch e.Action {
		case "app.settings":
			e.Target, e.Detail = "shop", "sessionTimeout: 30m → 2h; sessionStorage: memory → SessionStorageCache"
		case "connection.edit":
			e.Target, e.Detail = "SessionStorageCache", "url: redis://cache-1.internal:6379/0 → redis://cache-2.internal:6379/0; password unchanged"
		case "client.list":
			e.Detail = "500 clients read with their data through the admin JSON API, sensitive keys masked"
		}
		if err := svc.config.AddAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}

	c.shots("audit-01-newest", func(int) {
		if got := c.text(`[data-testid="audit-retention"]`); !strings.Contains(got, "older than 90 days are deleted; set with --audit-retention") {
			t.Errorf("retention: %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/audit"), chromedp.WaitVisible(c13ID("audit")))

	// The failed logins, found by the action's prefix.
	c.shots("audit-02-logins", func(int) {
		if n := c.count(`[data-testid="audit-entry"]`); n != 3 {
			t.Errorf("login entries: %d, want 2 failed and 1 login", n)
		}
	}, chromedp.Navigate(c.url+"/admin/audit?action=admin.login"), chromedp.WaitVisible(c13ID("audit")))

	// Filter with the form: the address carries the filters.
	from := now.AddDate(0, 0, -20).Format(time.DateOnly)
	c.do("filter", chromedp.Navigate(c.url+"/admin/audit"), chromedp.WaitVisible(c13ID("audit-form")),
		chromedp.SendKeys(c13ID("filter-actor"), "alice"),
		chromedp.SendKeys(c13ID("filter-action"), "session."),
		chromedp.SetValue(c13ID("filter-from"), from),
		chromedp.Click(c13ID("filter")), chromedp.WaitVisible(c13ID("clear")))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	if q := u.Query(); q.Get("actor") != "alice" || q.Get("action") != "session." || q.Get("from") != from {
		t.Fatalf("filtered address %s", loc)
	}
	check := func(int) {
		for _, a := range []string{"audit-actor", "audit-action"} {
			if n := c.count(`[data-testid="` + a + `"]`); n == 0 {
				t.Errorf("no %s", a)
			}
		}
		actorsShown, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`[...document.querySelectorAll('[data-testid="audit-actor"]')].map(e => e.textContent).join(",")`))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range strings.Split(actorsShown, ",") {
			if a != "admin:alice" {
				t.Errorf("filtered by alice, shows %q", a)
			}
		}
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="export"]').getAttribute("href")`))
		if err != nil || !strings.Contains(href, "actor=alice") || !strings.HasPrefix(href, "/admin/audit/export?") {
			t.Errorf("export link %q, %v", href, err)
		}
	}
	c.shots("audit-03-filtered", check, chromedp.Navigate(loc), chromedp.WaitVisible(c13ID("audit")))

	// Pages of the whole log keep their filters: an Older link on a filter by day.
	c.shots("audit-04-older-page", nil, chromedp.Navigate(c.url+"/admin/audit?from="+now.AddDate(0, 0, -25).Format(time.DateOnly)),
		chromedp.WaitVisible(c13ID("older")), chromedp.Click(c13ID("older")), chromedp.WaitVisible(c13ID("newer")))
	loc, err = chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(loc); u.Query().Get("from") == "" || u.Query().Get("before") == "" {
		t.Errorf("older page address %s", loc)
	}

	// A bad range says so beside the field.
	c.shots("audit-05-bad-range", func(int) {
		if got := c.text(`[data-testid="error-to"]`); !strings.Contains(got, "on or after") {
			t.Errorf("to before from: %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/audit?from=2026-03-12&to=2026-03-01"), chromedp.WaitVisible(c13ID("audit-form")))
}
