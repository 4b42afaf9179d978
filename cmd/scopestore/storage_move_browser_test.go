package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scopestore/scopestore/scopes"
)

// TestStorageMoveInBrowser is the end of issue 13's defect 2 in a real
// browser: an app's session storage changed from memory to file with live
// sessions offers to move them (ticked), and confirmed, the administrator
// lands on the job's page, which reloads itself (no JS needed) until it
// shows every session moved; at a laptop's width and a phone's.
func TestStorageMoveInBrowser(t *testing.T) {
	c, svc, cfg := startConsole(t, func(cfg *Config) {
		// The job waits this long for the other instances' caches before
		// it moves: long enough to see it running.
		cfg.CacheTTL = 3 * time.Second
	})
	bg := context.Background()
	const n = 250
	if _, err := svc.directory.CreateApp(bg, "shop"); err != nil {
		t.Fatal(err)
	}
	eff, err := svc.directory.Effective(bg, "shop")
	if err != nil {
		t.Fatal(err)
	}
	var made []*scopes.Scope
	for i := range n {
		sc, err := svc.engine.Create(bg, eff.Settings, "shop", scopes.Session, []byte(`{"n":`+strconv.Itoa(i)+`}`))
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, sc)
	}

	c.logIn("admin", cfg.AdminPassword)
	c.shots("15-storage-move-confirm", func(int) {
		if got := c.text(`[data-testid="move-n"]`); got != "250 live scopes" {
			t.Errorf("move-n = %q", got)
		}
		checked, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="move-live"]').checked`))
		if err != nil || !checked {
			t.Errorf("the move box is not ticked (%v)", err)
		}
	}, chromedp.Navigate(c.url+"/admin/apps/shop"), chromedp.WaitVisible(c13ID("settings-form")),
		chromedp.SetValue(chromedp.CSS("#sessionStorage"), "file"),
		chromedp.Click(c13ID("save")), chromedp.WaitVisible(c13ID("storage-change")))

	c.do("confirm", chromedp.Click(c13ID("confirm-storage")), chromedp.WaitVisible(c13ID("move-job")))
	if got := c.text(`[data-testid="move-state"]`); got != "starting" && got != "running" {
		t.Errorf("the job's page first says %q", got)
	}
	if c.count(`[data-testid="move-stop"]`) != 1 {
		t.Error("a running job has no Stop button")
	}
	c.do("running at 390 px", chromedp.EmulateViewport(390, 844))
	screenshot(t, c.ctx, "15-storage-move-running-390")
	c.do("running at 1366 px", chromedp.EmulateViewport(1366, 900))
	screenshot(t, c.ctx, "15-storage-move-running-1366")

	// The page reloads itself (the Refresh header) until the job is done.
	c.do("wait for the end", chromedp.WaitVisible(c13ID("move-done")))
	if got := c.text(`[data-testid="move-moved"]`); got != "250" {
		t.Errorf("moved %q, want 250", got)
	}
	c.shots("15-storage-move-done", func(int) {
		if got := c.text(`[data-testid="move-headline"]`); !strings.Contains(got, "250 scopes moved") {
			t.Errorf("headline %q", got)
		}
	}, chromedp.Reload(), chromedp.WaitVisible(c13ID("move-done")))

	// The list of moves, which the config store keeps for every instance.
	c.shots("15-storage-moves-list", func(int) {
		if got := c.text(`[data-testid="moves-state"]`); got != "done" {
			t.Errorf("the list shows the job %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/storage-moves"), chromedp.WaitVisible(c13ID("moves")))

	after, err := svc.directory.Effective(bg, "shop")
	if err != nil || after.Values["sessionStorage"] != "file" {
		t.Fatalf("the session storage is %q (%v)", after.Values["sessionStorage"], err)
	}
	for _, sc := range made {
		got, err := svc.engine.Peek(bg, after.Settings, scopes.Key{App: "shop", Kind: scopes.Session, CFID: sc.CFID})
		if err != nil || got.Version != sc.Version || string(got.Data) != string(sc.Data) {
			t.Fatalf("session %s after the move: %+v, %v", sc.CFID, got, err)
		}
	}
	if left, _, err := svc.engine.Count(bg, eff.Settings, "shop", scopes.Session); err != nil || left != 0 {
		t.Errorf("%d sessions left in memory (%v)", left, err)
	}
}
