package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scopestore/scopestore/connections/conntest"
)

// console13 drives the console of a test server in headless Chromium for
// the story of issue 13.
type console13 struct {
	t   *testing.T
	ctx context.Context
	url string
}

// startConsole serves scopestore on a fresh data directory, with the
// console's admin password set (tweak, when not nil, changes the config
// first), and returns a driver of its console in headless Chromium.
func startConsole(t *testing.T, tweak func(*Config)) (*console13, *services, *Config) {
	t.Helper()
	ctx := newBrowser(t)
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CacheTTL = 0
	cfg.AdminPassword = "a long admin password"
	if tweak != nil {
		tweak(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := open(context.Background(), &cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(svc, &cfg, logger))
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	return &console13{t: t, ctx: ctx, url: srv.URL}, svc, &cfg
}

// logIn signs user in through the login page and waits for the overview.
func (c *console13) logIn(user, password string) {
	c.t.Helper()
	c.do("log in as "+user, chromedp.Navigate(c.url+"/admin/login"), chromedp.WaitVisible(c13ID("username")),
		chromedp.SetValue(c13ID("username"), user), chromedp.SendKeys(c13ID("password"), password),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("nav-overview")))
}

// c13ID selects the element with that data-testid.
func c13ID(testid string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + testid + `"]`) }

// do runs browser actions, failing the test with name if one fails.
func (c *console13) do(name string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
}

// text returns the text of the first element sel selects.
func (c *console13) text(sel string) string {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

// count returns how many elements sel selects.
func (c *console13) count(sel string) int {
	c.t.Helper()
	n, err := chromedp.Run(c.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		c.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// c13Overflow says which elements reach past the right edge of the
// viewport: "" when the page fits its width.
const c13Overflow = `(() => {
	const w = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth <= w) return "";
	const out = [];
	for (const el of document.querySelectorAll("body *")) {
		const r = el.getBoundingClientRect();
		if (r.right > w + 0.5 && r.width > 0) out.push(el.tagName.toLowerCase() + "." + el.className);
	}
	return document.documentElement.scrollWidth + "px in " + w + "px: " + out.slice(0, 6).join(", ");
})()`

// shots runs actions (which end on the page to keep) at a laptop's width
// and at a phone's, with a screenshot of each (NAME-1366, NAME-390); on the
// phone the page must fit its width. check, when given, runs after each.
func (c *console13) shots(name string, check func(width int), actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	for _, size := range [][2]int64{{1366, 900}, {390, 844}} {
		c.do(fmt.Sprintf("%s at %d px", name, size[0]), append([]chromedp.Action[chromedp.Void]{
			chromedp.EmulateViewport(size[0], size[1])}, actions...)...)
		if check != nil {
			check(int(size[0]))
		}
		if size[0] == 390 {
			over, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](c13Overflow))
			if err != nil {
				c.t.Fatal(err)
			}
			if over != "" {
				c.t.Errorf("%s does not fit a phone: %s", name, over)
			}
		}
		screenshot(c.t, c.ctx, fmt.Sprintf("%s-%d", name, size[0]))
	}
}

// TestConsoleIssue13 is issue 13 in a real browser: Verify's result is kept
// and shown in the lists with the server's address, the Overview's health
// check is kept too; the forms show every field's error at once, in
// sentences that name the field, and mark the fields they need.
func TestConsoleIssue13(t *testing.T) {
	redisURL, prefix := conntest.RedisURL(t), conntest.RedisPrefix(t)
	c, svc, cfg := startConsole(t, nil)
	ctx := c.ctx

	c.logIn("admin", cfg.AdminPassword)

	// A Redis cache saved with Verify: the page it leads to says verified.
	c.do("new redis cache", chromedp.Navigate(c.url+"/admin/caches/new?type=redis"), chromedp.WaitVisible(c13ID("connection-form")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "SessionStorageCache"),
		chromedp.SendKeys(chromedp.CSS("#f-url"), redisURL),
		chromedp.SendKeys(chromedp.CSS("#f-prefix"), prefix),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("flash")))
	if f := c.text(`[data-testid="flash"]`); !strings.Contains(f, "Verify passed every check") {
		t.Fatalf("flash %q", f)
	}
	if got := c.text(`[data-testid="verify-status"]`); got != "verified" {
		t.Errorf("Status right after Verify passed: %q", got)
	}
	c.shots("01-cache-saved-verified", nil, chromedp.Navigate(c.url+"/admin/caches/SessionStorageCache"),
		chromedp.WaitVisible(c13ID("verify-box")))

	// A cache whose server is down, used by an app: Verify failed on
	// save, and the Overview's health check says it is down.
	c.do("down cache", chromedp.Navigate(c.url+"/admin/caches/new?type=redis"), chromedp.WaitVisible(c13ID("connection-form")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "replica-b"),
		chromedp.SendKeys(chromedp.CSS("#f-host"), "127.0.0.1"),
		chromedp.SendKeys(chromedp.CSS("#f-port"), "1"),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("flash")))
	if _, err := svc.directory.CreateApp(context.Background(), "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.directory.SetAppSettings(context.Background(), "shop", map[string]string{"clientStorage": "replica-b"}); err != nil {
		t.Fatal(err)
	}
	c.shots("02-overview", nil, chromedp.Navigate(c.url+"/admin/"), chromedp.WaitVisible(c13ID("storages")))

	c.shots("03-caches-list", func(int) {
		if got := c.text(`[data-testid="status-SessionStorageCache"] [data-testid="verify-status"]`); got != "verified" {
			t.Errorf("caches list: SessionStorageCache %q", got)
		}
		if got := c.text(`[data-testid="status-replica-b"] [data-testid="verify-status"]`); got != "failed" {
			t.Errorf("caches list: replica-b %q", got)
		}
		if got := c.text(`[data-testid="status-replica-b"] [data-testid="health-status"]`); got != "down" {
			t.Errorf("caches list: replica-b health %q", got)
		}
		if got := c.text(`[data-testid="server-SessionStorageCache"]`); got != redisURL {
			t.Errorf("caches list: server %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/caches"), chromedp.WaitVisible(c13ID("connections")))

	// Verify from the list (htmx): the result shows in the row, and stays.
	c.do("verify in the list", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(c.url+"/admin/caches"),
		chromedp.WaitVisible(c13ID("connections")), chromedp.Click(c13ID("verify-SessionStorageCache")),
		chromedp.WaitVisible(`[data-testid="status-SessionStorageCache"] [data-testid="checks"]`))
	screenshot(t, ctx, "04-caches-list-verify-again-1366")
	c.do("reload", chromedp.Reload(), chromedp.WaitVisible(c13ID("connections")))
	if got := c.text(`[data-testid="status-SessionStorageCache"] [data-testid="verified-at"]`); got != "just now" {
		t.Errorf("after Verify in the list: %q", got)
	}

	// A datasource that cannot connect, and one saved without Verify.
	c.do("mysql datasource", chromedp.Navigate(c.url+"/admin/datasources/new?type=mysql"), chromedp.WaitVisible(c13ID("connection-form")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "sstorage"),
		chromedp.SendKeys(chromedp.CSS("#f-host"), "db1.invalid"),
		chromedp.SendKeys(chromedp.CSS("#f-database"), "sessions"),
		chromedp.SendKeys(chromedp.CSS("#f-username"), "scopestore"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "Sup3r-Secret-Passw0rd"),
		chromedp.SendKeys(chromedp.CSS("#f-timeout"), "2s"),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("flash")))
	c.do("sqlite datasource", chromedp.Navigate(c.url+"/admin/datasources/new?type=sqlite"), chromedp.WaitVisible(c13ID("connection-form")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "local-sessions"),
		chromedp.SendKeys(chromedp.CSS("#f-file"), cfg.DataDir+"/local-sessions.db"),
		chromedp.Click(c13ID("verify")),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("flash")))
	c.shots("05-datasources-list", func(int) {
		if got := c.text(`[data-testid="status-sstorage"] [data-testid="verify-status"]`); got != "failed" {
			t.Errorf("datasources list: sstorage %q", got)
		}
		if got := c.text(`[data-testid="status-local-sessions"] [data-testid="verify-status"]`); got != "not verified" {
			t.Errorf("datasources list: local-sessions %q", got)
		}
		if got := c.text(`[data-testid="server-sstorage"]`); got != "scopestore@db1.invalid/sessions" {
			t.Errorf("datasources list: server %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/datasources"), chromedp.WaitVisible(c13ID("connections")))

	// The forms: required fields marked, examples as placeholders.
	c.shots("06-mysql-form-new", func(int) {
		if got := c.text(`label[for="f-host"]`); !strings.Contains(got, "required") {
			t.Errorf("host label %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/datasources/new?type=mysql"), chromedp.WaitVisible(c13ID("connection-form")))
	// Submitted empty but for a bad pool size: every message at once.
	c.shots("07-mysql-form-errors", func(int) {
		if n := c.count(`[data-testid="connection-form"] .error`); n != 4 {
			t.Errorf("%d messages on the empty MySQL form, want 4 (name, host, database, pool size)", n)
		}
		if got := c.text(`[data-testid="error-pool_size"]`); got != "Pool size must be a whole number from 1 to 10000." {
			t.Errorf("pool size message %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/datasources/new?type=mysql"), chromedp.WaitVisible(c13ID("connection-form")),
		chromedp.SendKeys(chromedp.CSS("#f-pool_size"), "-3"),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("error-summary")))
	c.shots("08-redis-form-errors", func(int) {
		if n := c.count(`[data-testid="connection-form"] .error`); n != 6 {
			t.Errorf("%d messages on the Redis form, want 6", n)
		}
		if got := c.text(`[data-testid="error-timeout"]`); strings.Contains(got, "90d") || !strings.Contains(got, "longer than zero") {
			t.Errorf("the Redis timeout message speaks of scope timeouts, or not of zero: %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/caches/new?type=redis"), chromedp.WaitVisible(c13ID("connection-form")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "9 lives"),
		chromedp.SendKeys(chromedp.CSS("#f-host"), "cache1.internal"),
		chromedp.SendKeys(chromedp.CSS("#f-port"), "99999"),
		chromedp.SendKeys(chromedp.CSS("#f-master"), "mymaster"),
		chromedp.SendKeys(chromedp.CSS("#f-pool_size"), "lots"),
		// 500ms is a Redis timeout now; 0s is none.
		chromedp.SendKeys(chromedp.CSS("#f-timeout"), "0s"),
		chromedp.SendKeys(chromedp.CSS("#f-replica_timeout"), "2h"),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("error-summary")))

	// The settings forms: every setting's message at once.
	settingsErrors := []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(c13ID("settings-form")),
		chromedp.Click(c13ID("sessionType-j2ee")),
		chromedp.SetValue(chromedp.CSS("#sessionStorage"), "sessionstoragecache"),
		chromedp.SetValue(chromedp.CSS("#clientTimeout\\.days"), "-1"),
		chromedp.SetValue(chromedp.CSS("#scopeEndWebhook"), "ftp://hooks.example.com/end"),
		chromedp.Click(c13ID("save")), chromedp.WaitVisible(c13ID("error-summary")),
	}
	checkSettings := func(int) {
		if n := c.count(`[data-testid="settings-form"] .error`); n != 3 {
			t.Errorf("%d messages on the settings form, want 3", n)
		}
	}
	c.shots("09-scope-errors", checkSettings, append([]chromedp.Action[chromedp.Void]{
		chromedp.Navigate(c.url + "/admin/scope")}, settingsErrors...)...)
	c.shots("10-app-errors", checkSettings, append([]chromedp.Action[chromedp.Void]{
		chromedp.Navigate(c.url + "/admin/apps/shop")}, settingsErrors...)...)
	c.shots("11-apps-name-error", func(int) {
		if got := c.text(`[data-testid="error-name"]`); !strings.HasPrefix(got, "An application named shop already exists") {
			t.Errorf("name message %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/apps"), chromedp.WaitVisible(c13ID("create-app")),
		chromedp.SendKeys(chromedp.CSS("#app-name"), "shop"),
		chromedp.Click(chromedp.CSS(`[data-testid="create-app"] [data-testid="submit"]`)), chromedp.WaitVisible(c13ID("error-name")))

	// No page shows the datasource's password.
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil || strings.Contains(html, "Sup3r-Secret-Passw0rd") {
		t.Fatalf("the password is in the page (%v)", err)
	}
}
