package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// chartsClock is the History's clock in the charts test: it moves a minute
// at a time, so that the test draws an hour of traffic in seconds.
type chartsClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *chartsClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *chartsClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// TestOverviewChartsInBrowser drives an hour of API traffic (the History's
// clock moves a minute at a time, and the live scopes are counted each
// minute as serve's LiveSampler counts them): shop's sessions in memory, its client
// scopes in the file, blog's sessions in a cache that does not answer, and
// wiki's sessions in a SQLite datasource that sees no traffic; a second
// instance sharing the config store adds its own memory storage's load.
// The Overview draws each storage's last hour, readable at a laptop's width
// and at a phone's (SCOPESTORE_SCREENSHOTS=/tmp/shots keeps charts-1366.png
// and charts-390.png).
func TestOverviewChartsInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	bg := context.Background()
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CacheTTL = 0
	cfg.AdminPassword = "a long admin password"
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := open(bg, &cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-48 * time.Minute).Truncate(time.Minute).Add(20 * time.Second)
	clock := &chartsClock{t: start}
	svc.history = scopes.NewHistory(clock.now)
	// A second instance shares the config store: its minutes of memory
	// are merged into this one's charts. (serve shares only a MySQL or
	// PostgreSQL config store; the SQLite one holds the table too.)
	svc.history.Instance, svc.history.Share = "browser-1:8080", svc.config
	other := scopes.NewHistory(clock.now)
	other.Instance, other.Share = "browser-2:8080", svc.config
	srv := httptest.NewServer(handler(svc, &cfg, logger))
	sampler := admin.NewLiveSampler(admin.Options{Directory: svc.directory, Engine: svc.engine, History: svc.history, Logger: logger})
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })

	shop, err := svc.directory.CreateApp(bg, "shop")
	if err != nil {
		t.Fatal(err)
	}
	blog, err := svc.directory.CreateApp(bg, "blog")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.manager.Create(bg, scopes.Connection{Name: "cache-b", Type: "redis", Storage: true,
		Params: map[string]string{"url": "redis://127.0.0.1:1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.directory.SetAppSettings(bg, "blog", map[string]string{"sessionStorage": "cache-b", "clientManagement": "false"}); err != nil {
		t.Fatal(err)
	}
	// wiki keeps its sessions in a SQLite datasource, and sends nothing.
	if err := svc.manager.Create(bg, scopes.Connection{Name: "local-sessions", Type: "sqlite", Storage: true,
		Params: map[string]string{"file": filepath.Join(cfg.DataDir, "local-sessions.db")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.directory.CreateApp(bg, "wiki"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.directory.SetAppSettings(bg, "wiki", map[string]string{"sessionStorage": "local-sessions", "clientManagement": "false"}); err != nil {
		t.Fatal(err)
	}
	call := func(key, method, path, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		return res.StatusCode
	}

	s := &sessionsServer{t: t, url: srv.URL, key: shop, ctx: ctx}
	s.step("login", chromedp.Navigate(s.url+"/admin/login"), chromedp.WaitVisible(byTestID("password")),
		chromedp.SendKeys(byTestID("password"), cfg.AdminPassword), chromedp.Click(byTestID("submit")),
		chromedp.WaitVisible(byTestID("nav-overview")))

	// 48 minutes of traffic, busier in the middle of the hour; blog's cache
	// fails from minute 30 to 34; the Overview is looked at every 6 minutes.
	var cfids []string
	for m := 0; m <= 48; m++ {
		clock.set(start.Add(time.Duration(m) * time.Minute))
		n := 4 + int(6*math.Sin(float64(m)/48*math.Pi)) + m%3
		for i := range n {
			cfids = append(cfids, s.create(fmt.Sprintf(`{"user":%d}`, m*100+i)))
			cfid := cfids[(m*7+i)%len(cfids)]
			call(shop, "GET", "/api/v1/apps/shop/sessions/"+cfid, "")
			call(shop, "PATCH", "/api/v1/apps/shop/sessions/"+cfid, `{"incr":{"hits":1}}`)
			if i%2 == 0 {
				if got := call(shop, "POST", "/api/v1/apps/shop/clients", `{"data":{"theme":"dark"}}`); got != http.StatusCreated {
					t.Fatalf("create a client scope: %d", got)
				}
			}
		}
		// Sessions end: the live count falls back now and then.
		if m%10 == 9 {
			for _, cfid := range cfids[:len(cfids)/3] {
				call(shop, "DELETE", "/api/v1/apps/shop/sessions/"+cfid, "")
			}
			cfids = cfids[len(cfids)/3:]
		}
		if m >= 30 && m <= 34 {
			for range m - 29 {
				if got := call(blog, "GET", "/api/v1/apps/blog/sessions/7f1e4a52-2c1b-4bb0-9f7e-0d1c2b3a4e5f", ""); got != http.StatusServiceUnavailable {
					t.Fatalf("blog's load from a cache that does not answer: %d, want 503", got)
				}
			}
		}
		// What serve's LiveSampler does in the middle of each minute.
		if err := sampler.Sample(bg); err != nil {
			t.Fatal(err)
		}
		// The other instance: a steady load on its own memory storage.
		for i := range 3 * n {
			other.ObserveOp("memory", scopes.OpLoad, scopes.ResultOK, time.Duration(300+40*i)*time.Microsecond)
		}
		other.RecordLive("memory", int64(20+m%5))
		if _, err := other.Publish(bg); err != nil {
			t.Fatal(err)
		}
		if m%6 == 0 {
			s.step(fmt.Sprintf("overview at minute %d", m), chromedp.Navigate(s.url+"/admin/"), chromedp.WaitVisible(byTestID("charts-note")))
		}
	}
	clock.set(start.Add(48*time.Minute + 25*time.Second))
	if _, err := other.Publish(bg); err != nil {
		t.Fatal(err)
	}

	s.step("overview", chromedp.EmulateViewport(wideWidth, 900), chromedp.Navigate(s.url+"/admin/"),
		chromedp.WaitVisible(byTestID("charts-memory")))
	for sel, want := range map[string]string{
		`[data-testid="charts-memory"] [data-testid="charts-summary"]`:         "operations, 0 errors in the last hour",
		`[data-testid="charts-cache-b"] [data-testid="charts-summary"]`:        "15 operations, 15 errors in the last hour",
		`[data-testid="charts-file"] [data-testid="chart-empty-errors"]`:       "No errors",
		`[data-testid="charts-cache-b"] [data-testid="chart-empty-live"]`:      "Count unavailable",
		`[data-testid="charts-local-sessions"] [data-testid="charts-idle"]`:    "No operations in the last hour",
		`[data-testid="charts-local-sessions"] [data-testid="chart-now-live"]`: "0",
	} {
		if got := strings.Join(strings.Fields(s.text(sel)), " "); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q in it", sel, got, want)
		}
	}
	// This instance's count as the page loaded, and the other's of the
	// minute before (it publishes a minute once it is over).
	if got := s.text(`[data-testid="charts-memory"] [data-testid="chart-now-live"]`); got != fmt.Sprint(len(cfids)+20+47%5) {
		t.Errorf("memory: live now %q, want %d + %d", got, len(cfids), 20+47%5)
	}
	if got := s.text(`[data-testid="charts-instances"]`); got != "2 instances, this one and 1 other sharing the config store" {
		t.Errorf("charts-instances = %q", got)
	}
	// Every chart is an image with a title, its numbers in a table too.
	if !s.js(`[...document.querySelectorAll('svg[role="img"]')].every(s => s.querySelector('title') && s.querySelector('title').textContent.length > 20)` +
		` && document.querySelectorAll('svg[role="img"]').length === 13`) {
		t.Error("a chart without a title, or not the 13 charts of 4 storages, one of them idle")
	}
	shotsWideAndNarrow(t, ctx, "charts", chromedp.WaitVisible(byTestID("charts-memory")))

	// The numbers, opened, on the phone.
	s.step("numbers", chromedp.EmulateViewport(narrowWidth, 844),
		chromedp.Click(`[data-testid="charts-memory"] [data-testid="charts-numbers"] summary`),
		chromedp.WaitVisible(`[data-testid="charts-memory"] [data-testid="charts-row"]`))
	fits(t, ctx, "the charts' numbers")
	screenshot(t, ctx, "charts-numbers-390")
}
