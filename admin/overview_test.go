package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

func TestOverview(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	p := tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	for id, want := range map[string]string{"version": "test", "config-store": "sqlite", "apps-count": "0",
		"health-config": "ok", "health-memory": "ok", "health-file": "ok"} {
		if got := p.testid(id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if p.testid("uptime") == "" || p.doc.Find(`[data-testid="nav-overview"][aria-current="page"]`).Length() != 1 {
		t.Error("no uptime, or the overview is not the current section")
	}

	// An app whose session storage is a connection that does not answer.
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "down", Type: "redis", Storage: true,
		Params: map[string]string{"url": "redis://127.0.0.1:1"}}); err != nil {
		t.Fatal(err)
	}
	tc.createApp(t, "shop")
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"sessionStorage": "down"}); err != nil {
		t.Fatal(err)
	}
	p = tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("apps-count"); got != "1" {
		t.Errorf("apps-count = %q", got)
	}
	if got := p.testid("health-down"); got != "fail" {
		t.Errorf("health-down = %q, want fail", got)
	}
	if got := p.testid("health-message-down"); !strings.Contains(got, "unavailable") {
		t.Errorf("health-message-down = %q", got)
	}
	if got := p.doc.Find(`[data-testid="storage-down"]`).Text(); !strings.Contains(got, "shop") {
		t.Errorf("the storage row does not name its app: %q", got)
	}
	if got := p.doc.Find(`[data-testid="storage-memory"]`).Text(); !strings.Contains(got, "server defaults") {
		t.Errorf("memory is not shown as used by the server defaults: %q", got)
	}
	row := p.doc.Find(`[data-testid="where-shop"]`)
	if row.Find(`[data-testid="where-session"]`).Text() != "down" || row.Find(`[data-testid="where-client"]`).Text() != "file" {
		t.Errorf("where shop's scopes live: %q", row.Text())
	}
}
