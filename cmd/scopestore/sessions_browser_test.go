package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOperatorStory is the operator's story of the Sessions page in a real
// browser: log in with SCOPESTORE_ADMIN_PASSWORD, watch the list refresh
// itself, find a session by a value in its data, open it (its password
// masked), invalidate it, and see the runtime API answer 404 for it.
func TestOperatorStory(t *testing.T) {
	ctx := newBrowser(t)
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CacheTTL = 0
	cfg.AdminPassword = "a long admin password"
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := open(context.Background(), &cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(svc, &cfg, logger))
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	url := srv.URL
	key, err := svc.directory.CreateApp(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}

	// The app's visitors, created through the runtime API as the app would.
	api := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	cfidOf := regexp.MustCompile(`"cfid":"([^"]+)"`)
	create := func(data string) string {
		t.Helper()
		status, body := api("POST", "/api/v1/apps/shop/sessions", `{"data":`+data+`}`)
		if status != http.StatusCreated {
			t.Fatalf("create: %d %s", status, body)
		}
		return cfidOf.FindStringSubmatch(body)[1]
	}
	for _, name := range []string{"bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"} {
		create(`{"email":"` + name + `@example.com","cart":[{"sku":"B-7","qty":1}],"locale":"en-GB"}`)
	}
	alice := create(`{"email":"alice@example.com","password":"hunter2","cart":[{"sku":"A-1","qty":2},{"sku":"C-3","qty":1}],` +
		`"user":{"name":"Alice Smith","roles":["buyer","beta"],"payment":{"cardNumber":"4111111111111111","expiry":"12/29"}},"visits":7,"vip":true}`)
	// A few visits, so that last visits differ.
	for range 3 {
		api("GET", "/api/v1/apps/shop/sessions/"+alice, "")
	}

	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	id := func(testid string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + testid + `"]`) }
	rows := func(n string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`document.querySelectorAll('[data-testid="session-row"]').length === `+n,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))
	}

	step("login",
		chromedp.Navigate(url+"/admin/login"),
		chromedp.WaitVisible(id("password")),
		// The user name is filled in: admin, the user of SCOPESTORE_ADMIN_PASSWORD.
		chromedp.SendKeys(id("password"), cfg.AdminPassword),
		chromedp.Click(id("submit")),
		chromedp.WaitVisible(id("nav-sessions")),
	)
	step("sessions", chromedp.Click(id("nav-sessions")), chromedp.WaitVisible(id("sessions-table")), rows("12"))
	if list := text(`[data-testid="sessions"]`); strings.Contains(list, alice) || !strings.Contains(list, alice[:8]+"…") {
		t.Fatalf("the list does not mask cfids to 8 characters:\n%s", list)
	}
	screenshot(t, ctx, "sessions-01-list")

	// A new visitor shows up within a refresh, without a page reload.
	step("mark the page", chromedp.Evaluate[chromedp.Void](`window.noReload = true; undefined`))
	create(`{"email":"peggy@example.com"}`)
	step("live refresh", rows("13"))
	if stayed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.noReload === true`)); err != nil || !stayed {
		t.Fatalf("the list refreshed by reloading the page (%v)", err)
	}

	// Find Alice's session by the value of its email.
	step("filter",
		chromedp.SendKeys(chromedp.CSS("#f-value"), "alice@example.com"),
		chromedp.Click(id("show")),
		chromedp.WaitVisible(id("clear")), // the filtered page has a link that clears the filter
		rows("1"),
	)
	if note := text(`[data-testid="page-note"]`); !strings.Contains(note, "1 session on this page") {
		t.Errorf("page note %q", note)
	}
	screenshot(t, ctx, "sessions-02-found")

	step("open", chromedp.Click(id("session-open")), chromedp.WaitVisible(id("instance-cfid")))
	if got := text(`[data-testid="instance-cfid"]`); got != alice {
		t.Fatalf("the page shows cfid %q, want %s", got, alice)
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "4111111111111111"} {
		if strings.Contains(html, secret) {
			t.Errorf("the page holds the sensitive value %q", secret)
		}
	}
	if got := text(`[data-testid="masked-password"]`); got != "••••" {
		t.Errorf("password shows %q", got)
	}
	if got := text(`[data-testid="data-email"]`); got != `"alice@example.com"` {
		t.Errorf("email shows %q", got)
	}
	screenshot(t, ctx, "sessions-03-open")

	step("invalidate",
		chromedp.Click(id("invalidate-confirm")),
		chromedp.Click(id("invalidate-submit")),
		chromedp.WaitVisible(id("flash")),
		rows("12"),
	)
	if f := text(`[data-testid="flash"]`); !strings.Contains(f, "invalidated") {
		t.Errorf("flash %q", f)
	}
	screenshot(t, ctx, "sessions-04-invalidated")

	// The application's next load of it answers 404.
	if status, body := api("GET", "/api/v1/apps/shop/sessions/"+alice, ""); status != http.StatusNotFound {
		t.Fatalf("the API after invalidating: %d %s", status, body)
	}

	// The confirmation of "invalidate all" names the count.
	step("invalidate all", chromedp.Click(id("invalidate-all-link")), chromedp.WaitVisible(id("invalidate-all-count")))
	if got := strings.Join(strings.Fields(text(`[data-testid="invalidate-all-count"]`)), " "); got != "shop has 12 live sessions in storage memory." {
		t.Errorf("invalidate all says %q", got)
	}
	screenshot(t, ctx, "sessions-05-invalidate-all")
	step("narrow", chromedp.EmulateViewport(420, 900), chromedp.Navigate(url+"/admin/sessions"), chromedp.WaitVisible(id("sessions-table")))
	screenshot(t, ctx, "sessions-06-narrow")
	step("wide", chromedp.EmulateReset())
}
