package main

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/go-sql-driver/mysql"

	"github.com/scopestore/scopestore/connections/conntest"
)

// TestAdministratorStory is the story in a real browser: set the
// admin password, create a Redis cache and a MySQL datasource with Storage
// ticked, migrate a legacy table after reading the plan, make the Redis
// cache the session storage with cluster on, register an app, and call the
// API with the key copied from the page.
func TestAdministratorStory(t *testing.T) {
	redisURL, prefix := conntest.RedisURL(t), conntest.RedisPrefix(t)
	dsn := conntest.MySQLDSN(t)
	legacyTable(t, dsn)
	ctx := newBrowser(t)

	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CacheTTL = 0
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := open(context.Background(), &cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(svc, &cfg, logger))
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	url := srv.URL

	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
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

	// A fresh install sends the administrator to the setup page.
	step("setup",
		chromedp.Navigate(url+"/admin/"),
		chromedp.WaitVisible(id("confirm")),
		chromedp.SendKeys(id("password"), "a long admin password"),
		chromedp.SendKeys(id("confirm"), "a long admin password"),
	)
	screenshot(t, ctx, "01-setup")
	step("submit setup", chromedp.Click(id("submit")), chromedp.WaitVisible(id("nav-overview")))
	screenshot(t, ctx, "02-overview")

	// A Redis cache that may hold scopes, verified on save.
	step("new cache",
		chromedp.Navigate(url+"/admin/caches/new?type=redis"),
		chromedp.WaitVisible(id("connection-form")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "SessionStorageCache"),
		chromedp.SendKeys(chromedp.CSS("#f-url"), redisURL),
		chromedp.SendKeys(chromedp.CSS("#f-prefix"), prefix),
	)
	screenshot(t, ctx, "03-cache-form")
	// Autopipelining is on unless the administrator unticks it.
	autopipeline, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="field-autopipeline"]').checked`))
	if err != nil || !autopipeline {
		t.Errorf("the new Redis cache form has autopipelining ticked %v (%v), want ticked", autopipeline, err)
	}
	step("save cache", chromedp.Click(id("submit")), chromedp.WaitVisible(id("flash")))
	if f := text(`[data-testid="flash"]`); !strings.Contains(f, "connect") || strings.Contains(strings.ToLower(f), "fail") {
		t.Fatalf("verify on save: %q", f)
	}
	screenshot(t, ctx, "04-cache-saved")
	step("caches list", chromedp.Navigate(url+"/admin/caches"), chromedp.WaitVisible(id("row-SessionStorageCache")))
	screenshot(t, ctx, "05-caches")

	// A MySQL datasource whose legacy table is migrated after reading the plan.
	cfgDSN, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(cfgDSN.Addr, ":")
	step("new datasource",
		chromedp.Navigate(url+"/admin/datasources/new?type=mysql"),
		chromedp.WaitVisible(id("connection-form")))
	// Prepared statements are on unless the administrator unticks them.
	prepared, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="field-prepare"]').checked`))
	if err != nil || !prepared {
		t.Errorf("the new MySQL datasource form has prepared statements ticked %v (%v), want ticked", prepared, err)
	}
	// The whole form, its Prepared statements box among the options, at both widths.
	shotsWideAndNarrow(t, ctx, "05-datasource-form", chromedp.WaitVisible(chromedp.CSS(`[data-testid="field-prepare"]`)))
	step("fill datasource",
		chromedp.SendKeys(chromedp.CSS("#f-name"), "sstorage"),
		chromedp.SendKeys(chromedp.CSS("#f-host"), host),
		chromedp.SendKeys(chromedp.CSS("#f-port"), port),
		chromedp.SendKeys(chromedp.CSS("#f-database"), cfgDSN.DBName),
		chromedp.SendKeys(chromedp.CSS("#f-username"), cfgDSN.User),
	)
	step("save datasource", chromedp.Click(id("submit")), chromedp.WaitVisible(id("tables-panel")),
		chromedp.WaitVisible(id("cf_session_data-pk")))
	if pk := text(`[data-testid="cf_session_data-pk"]`); !strings.HasPrefix(pk, "none") {
		t.Fatalf("the legacy table shows a primary key: %q", pk)
	}
	screenshot(t, ctx, "06-datasource-tables")
	step("plan", chromedp.Click(id("migrate")), chromedp.WaitVisible(id("run-plan")))
	if plan := text(`body`); !strings.Contains(plan, "PRIMARY KEY") || !strings.Contains(strings.ToLower(plan), "duplicate") {
		t.Fatalf("the plan does not show the key and the duplicates:\n%s", plan)
	}
	screenshot(t, ctx, "07-migrate-plan")
	shotsWideAndNarrow(t, ctx, "07-migrate-plan", chromedp.WaitVisible(id("run-plan")))
	step("run plan", chromedp.Click(id("run-plan")), chromedp.WaitVisible(id("cf_session_data-pk")))
	migrated := func() {
		t.Helper()
		if pk := text(`[data-testid="cf_session_data-pk"]`); !strings.Contains(pk, "cfid") {
			t.Fatalf("after migrating the primary key is %q", pk)
		}
		if dt := text(`[data-testid="cf_session_data-data"]`); !strings.Contains(strings.ToLower(dt), "longtext") {
			t.Fatalf("after migrating the data column is %q", dt)
		}
		if done := text(`[data-testid="steps-done"]`); !strings.Contains(done, "PRIMARY KEY") || !strings.Contains(done, "duplicate") {
			t.Fatalf("the result does not show the steps done:\n%s", done)
		}
	}
	migrated()
	if f := text(`[data-testid="flash"]`); !strings.Contains(f, "migration ran") {
		t.Errorf("flash %q", f)
	}
	screenshot(t, ctx, "08-migrated")
	// The result has an address of its own: a reload shows it again, and
	// runs nothing.
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.Contains(loc, "/admin/datasources/sstorage/tables?migration=") {
		t.Fatalf("the result is at %q (%v), not a page of its own", loc, err)
	}
	step("reload the result", chromedp.Reload(), chromedp.WaitVisible(id("steps-done")))
	migrated()
	shotsWideAndNarrow(t, ctx, "08-migrated", chromedp.WaitVisible(id("steps-done")))
	step("tables page", chromedp.Navigate(url+"/admin/datasources/sstorage/tables"), chromedp.WaitVisible(id("cf_session_data-pk")))
	shotsWideAndNarrow(t, ctx, "08-tables", chromedp.WaitVisible(id("cf_session_data-pk")))

	// The server's sessions go to the Redis cache, with cluster on.
	step("scope",
		chromedp.Navigate(url+"/admin/scope"),
		chromedp.WaitVisible(id("settings-form")),
		chromedp.SetValue(chromedp.CSS("#sessionStorage"), "sessionstoragecache"),
		chromedp.Click(id("sessionCluster-true")),
	)
	screenshot(t, ctx, "09-scope")
	// A change of storage is shown first, with what it moves, and saved once confirmed.
	step("save scope", chromedp.Click(id("save")), chromedp.WaitVisible(id("storage-change")))
	step("confirm storage", chromedp.Click(id("confirm-storage")), chromedp.WaitVisible(id("flash")))
	if f := text(`[data-testid="flash"]`); !strings.Contains(f, "saved") {
		t.Fatalf("scope save: %q", f)
	}

	// Register the app and copy its key from the page.
	step("apps",
		chromedp.Navigate(url+"/admin/apps"),
		chromedp.WaitVisible(id("create-app")),
		chromedp.SendKeys(chromedp.CSS("#app-name"), "shop"),
		chromedp.Click(chromedp.CSS(`[data-testid="create-app"] [data-testid="submit"]`)),
		chromedp.WaitVisible(id("api-key")),
	)
	screenshot(t, ctx, "10-api-key")
	key := strings.TrimSpace(text(`[data-testid="api-key"]`))
	if !strings.HasPrefix(key, "ssk_") {
		t.Fatalf("no API key on the page: %q", key)
	}
	step("app page", chromedp.Navigate(url+"/admin/apps/shop"), chromedp.WaitVisible(id("effective")))
	screenshot(t, ctx, "11-app")
	step("audit", chromedp.Navigate(url+"/admin/audit"), chromedp.WaitVisible(id("audit")))
	screenshot(t, ctx, "12-audit")
	// On a phone the navigation moves above the content.
	step("narrow", chromedp.EmulateViewport(420, 900), chromedp.Navigate(url+"/admin/apps"), chromedp.WaitVisible(id("apps")))
	screenshot(t, ctx, "13-apps-narrow")
	// The Redis form's replication fields on a 390 px phone.
	step("narrow cache form", chromedp.EmulateViewport(390, 900), chromedp.Navigate(url+"/admin/caches/new?type=redis"),
		chromedp.WaitVisible(chromedp.CSS("#f-min_replicas_acked")), chromedp.ScrollIntoView(chromedp.CSS("#f-min_replicas_acked")))
	screenshot(t, ctx, "13-cache-form-narrow")
	// The whole form, its Autopipelining box among the pool's fields, at both widths.
	shotsWideAndNarrow(t, ctx, "13-cache-form", chromedp.WaitVisible(chromedp.CSS(`[data-testid="field-autopipeline"]`)))
	step("wide", chromedp.EmulateReset())

	// The app's call succeeds, and its session lives in the Redis cache.
	req, _ := http.NewRequest("POST", url+"/api/v1/apps/shop/sessions", strings.NewReader(`{"data":{"cart":[1]}}`))
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"storage":"sessionstoragecache"`) {
		t.Fatalf("API call with the key from the page: %d %s", res.StatusCode, body)
	}

	step("overview with the app", chromedp.Navigate(url+"/admin/"), chromedp.WaitVisible(id("nav-overview")))
	screenshot(t, ctx, "14-overview-live")

	// The admin password never shows in a page.
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil || strings.Contains(html, "a long admin password") {
		t.Fatalf("the admin password is in the page (%v)", err)
	}
}

// legacyTable creates cf_session_data as Lucee's DDL does, with a duplicate.
func legacyTable(t *testing.T, dsn string) {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{luceeDDL,
		`INSERT INTO cf_session_data VALUES ('9999999999998','c1','shop','rO0AB'), ('9999999999999','c1','shop','rO0AB')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}
