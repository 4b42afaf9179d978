package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scopestore/scopestore/scopes"
)

// slowDeleteObserver makes every delete take a while, so that a run of targeted
// invalidation lasts long enough to see its progress page.
type slowDeleteObserver struct {
	scopes.Observer
	d time.Duration
}

func (s slowDeleteObserver) ObserveOp(storage, op, result string, d time.Duration) {
	if op == scopes.OpDelete {
		time.Sleep(s.d)
	}
	s.Observer.ObserveOp(storage, op, result, d)
}

// TestConsoleTargetedInvalidation is "log this user out everywhere" in a
// real browser: rows ticked on the list are counted on their button, held
// through the live refresh and confirmed on a page that names them; a
// filter leads to a confirmation with the count found now, and the run
// shows its progress without JS, then its result. Screenshots at 1366 and
// 390 px (SCOPESTORE_SCREENSHOTS=DIR keeps them).
func TestConsoleTargetedInvalidation(t *testing.T) {
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
	h := handler(svc, &cfg, logger)
	// After handler, which makes the metrics the observer; the metrics still see every operation.
	svc.engine.Observer = slowDeleteObserver{Observer: svc.engine.Observer, d: 60 * time.Millisecond}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	c := &console13{t: t, ctx: ctx, url: srv.URL}

	bg := context.Background()
	if _, err := svc.directory.CreateApp(bg, "shop"); err != nil {
		t.Fatal(err)
	}
	const hook = "https://hooks.example.com/scope-ended"
	eff, err := svc.directory.SetAppSettings(bg, "shop", map[string]string{scopes.AllowedWebhooks: hook, scopes.ScopeEndWebhook: hook})
	if err != nil {
		t.Fatal(err)
	}
	const matching = 640
	for i := range matching + 60 {
		user := 42
		if i >= matching {
			user = 1000 + i
		}
		data, _ := json.Marshal(map[string]any{"userId": user, "email": fmt.Sprintf("user%d@example.com", user), "cart": []int{i % 7}})
		if _, err := svc.engine.Create(bg, eff.Settings, "shop", scopes.Session, data); err != nil {
			t.Fatal(err)
		}
	}

	c.do("log in", chromedp.Navigate(c.url+"/admin/login"), chromedp.WaitVisible(c13ID("username")),
		chromedp.SetValue(c13ID("username"), "admin"), chromedp.SendKeys(c13ID("password"), cfg.AdminPassword),
		chromedp.Click(c13ID("submit")), chromedp.WaitVisible(c13ID("nav-overview")))

	// The list, filtered on userId = 42, with three rows ticked.
	list := c.url + "/admin/sessions?app=shop&scope=session&key=userId&value=42"
	var tick []chromedp.Action[chromedp.Void]
	for _, n := range []int{1, 2, 4} {
		tick = append(tick, chromedp.Click(chromedp.CSS(fmt.Sprintf(`tbody tr:nth-child(%d) [data-testid="session-select"]`, n))))
	}
	c.shots("invalidate-01-list-selected", func(int) {
		if got := c.text(`[data-testid="invalidate-selected"]`); got != "Invalidate selected (3)" {
			t.Errorf("selection button %q", got)
		}
		if got := c.text(`[data-testid="invalidate-matching-link"]`); got != "Invalidate all matching sessions…" {
			t.Errorf("matching link %q", got)
		}
	}, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(list), chromedp.WaitVisible(c13ID("sessions"))}, tick...)...)

	// The live refresh holds while rows are ticked.
	time.Sleep(6 * time.Second)
	if n := c.count(`[data-testid="session-select"]:checked`); n != 3 {
		t.Errorf("after the refresh's interval, %d rows ticked, want 3", n)
	}
	c.shots("invalidate-02-selected-confirm", func(int) {
		if got := c.text(`[data-testid="selected-count"]`); !strings.HasPrefix(got, "3 sessions selected") {
			t.Errorf("confirmation %q", got)
		}
	}, append(append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(list), chromedp.WaitVisible(c13ID("sessions"))}, tick...),
		chromedp.Click(c13ID("invalidate-selected")), chromedp.WaitVisible(c13ID("invalidate-selected-form")))...)
	c.do("confirm the selection", chromedp.Click(c13ID("invalidate-selected-confirm")),
		chromedp.Click(c13ID("invalidate-selected-submit")), chromedp.WaitVisible(c13ID("flash")))
	if f := c.text(`[data-testid="flash"]`); !strings.HasPrefix(f, "Invalidated 3 selected sessions of shop") {
		t.Errorf("flash %q", f)
	}

	// Every other session of user 42: the count found now, and what happens.
	c.shots("invalidate-03-matching-confirm", func(int) {
		if got := c.text(`[data-testid="match-n"]`); got != fmt.Sprint(matching-3) {
			t.Errorf("count %q, want %d", got, matching-3)
		}
	}, chromedp.Navigate(list), chromedp.WaitVisible(c13ID("invalidate-matching-link")),
		chromedp.Click(c13ID("invalidate-matching-link")), chromedp.WaitVisible(c13ID("invalidate-matching-form")))

	// The run: its progress page while it runs (at both widths), then its result.
	c.do("start the run", chromedp.EmulateViewport(1366, 900), chromedp.Click(c13ID("invalidate-matching-confirm")),
		chromedp.Click(c13ID("invalidate-matching-submit")), chromedp.WaitVisible(c13ID("run")))
	if got := c.text(`[data-testid="run-state"]`); got != "running" {
		t.Errorf("the run's page first says %q", got)
	}
	screenshot(t, ctx, "invalidate-04-run-progress-1366")
	// The page reloads itself (no JS needed) and shows the run moving on.
	c.do("phone", chromedp.EmulateViewport(390, 844))
	moved := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`(document.querySelector('[data-testid="run-state"]') ? document.querySelector('[data-testid="run-state"]').textContent + " " + document.querySelector('[data-testid="run-invalidated"]').textContent : "")`))
		if err == nil && strings.HasPrefix(got, "running ") && got != "running 0" {
			moved = got
			break
		}
	}
	if moved == "" {
		t.Error("the progress page did not show the run moving on")
	}
	screenshot(t, ctx, "invalidate-04-run-progress-390")
	c.do("the run ends", chromedp.WaitVisible(`[data-testid="run-done"]`))
	c.shots("invalidate-05-run-done", func(int) {
		if got := c.text(`[data-testid="run-headline"]`); got != fmt.Sprintf("%d sessions invalidated", matching-3) {
			t.Errorf("headline %q", got)
		}
	}, chromedp.Reload(), chromedp.WaitVisible(c13ID("run-done")))

	left, _, err := svc.engine.Count(bg, eff.Settings, "shop", scopes.Session)
	if err != nil || left != 60 {
		t.Errorf("%d sessions left, want the 60 of other users (%v)", left, err)
	}
}
