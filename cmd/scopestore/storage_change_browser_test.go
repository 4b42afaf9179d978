package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/scopestore/scopestore/scopes"
)

// TestStorageChangeConfirmation is issue 13's defect 2 in a real browser:
// the server's session storage set to a cache that does not answer shows
// the apps it moves with their live sessions and the cache's state, and asks
// for force, at a laptop's width and a phone's.
func TestStorageChangeConfirmation(t *testing.T) {
	c, svc, cfg := startConsole(t, nil)

	bg := context.Background()
	if err := svc.manager.Create(bg, scopes.Connection{Name: "replica-b", Type: "redis", Storage: true,
		Params: map[string]string{"url": "redis://127.0.0.1:1"}}); err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"shop", "intranet-portal-with-a-long-name"} {
		if _, err := svc.directory.CreateApp(bg, app); err != nil {
			t.Fatal(err)
		}
		eff, err := svc.directory.Effective(bg, app)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := svc.engine.Create(bg, eff.Settings, app, scopes.Session, nil); err != nil {
				t.Fatal(err)
			}
		}
	}

	c.logIn("admin", cfg.AdminPassword)
	c.shots("14-storage-change", func(int) {
		if got := c.text(`[data-testid="check-now-session"]`); !strings.Contains(got, "does not answer") {
			t.Errorf("check-now-session = %q", got)
		}
		if n := c.count(`[data-testid="moves"] tbody tr`); n != 2 {
			t.Errorf("%d apps listed, want 2", n)
		}
		if n := c.count(`[data-testid="force"]`); n != 1 {
			t.Errorf("%d force boxes, want 1", n)
		}
	}, chromedp.Navigate(c.url+"/admin/scope"), chromedp.WaitVisible(c13ID("settings-form")),
		chromedp.SetValue(chromedp.CSS("#sessionStorage"), "replica-b"),
		chromedp.Click(c13ID("save")), chromedp.WaitVisible(c13ID("storage-change")))
}
