package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/connections/conntest"
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

// createScopes creates n scopes of kind k for app through the engine, with
// the app's effective settings.
func (tc *testConsole) createScopes(t *testing.T, app string, k scopes.Kind, n int) {
	t.Helper()
	ctx := context.Background()
	eff, err := tc.dir.Effective(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if _, err := tc.engine.Create(ctx, eff.Settings, app, k, nil); err != nil {
			t.Fatalf("create a %s scope of %s: %v", k, app, err)
		}
	}
}

func TestOverviewCountsLiveScopes(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	if got := tc.get("/admin/").testid("live-total"); got != "0" {
		t.Errorf("live-total with no app = %q, want 0", got)
	}

	// Sessions in memory, client scopes in the file, as the defaults have it.
	tc.createApp(t, "shop")
	tc.createApp(t, "blog")
	tc.createScopes(t, "shop", scopes.Session, 3)
	tc.createScopes(t, "shop", scopes.Client, 2)
	tc.createScopes(t, "blog", scopes.Session, 1)
	p := tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	for _, c := range []struct{ app, testid, want string }{
		{"shop", "live-session", "3"},
		{"shop", "live-client", "2"},
		{"blog", "live-session", "1"},
		{"blog", "live-client", "0"},
	} {
		cell := p.doc.Find(`[data-testid="where-` + c.app + `"] [data-testid="` + c.testid + `"]`)
		if got := strings.TrimSpace(cell.Text()); got != c.want {
			t.Errorf("%s %s = %q, want %q", c.app, c.testid, got, c.want)
		}
		if _, ok := cell.Attr("title"); ok {
			t.Errorf("%s %s, exact, has a title saying it is an estimate", c.app, c.testid)
		}
	}
	if got := p.testid("live-total"); got != "6" {
		t.Errorf("live-total = %q, want 6", got)
	}
	// The 4 sessions are in the memory storage, against no budget here.
	if got := p.testid("memory-held"); got == "" || got == "0 B" {
		t.Errorf("memory-held = %q; want what the 4 sessions take", got)
	}
	if got := p.testid("memory-note"); !strings.Contains(got, "4 in memory") || !strings.Contains(got, "no budget") {
		t.Errorf("memory-note = %q", got)
	}
	tc.engine.MemoryBudget = 1 << 30
	if got := tc.get("/admin/").testid("memory-note"); !strings.Contains(got, "% of 1.0 GiB") {
		t.Errorf("memory-note with a budget = %q", got)
	}
	if strings.Contains(p.body, "not shown here yet") {
		t.Error("the overview still says that counts are not shown")
	}

	// Management off: "off", not a count. A storage that is down: unavailable
	// with its message, and the total says what it leaves out.
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "down", Type: "redis", Storage: true,
		Params: map[string]string{"url": "redis://127.0.0.1:1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.dir.SetAppSettings(ctx, "blog", map[string]string{"clientManagement": "false"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"sessionStorage": "down"}); err != nil {
		t.Fatal(err)
	}
	p = tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	blog := p.doc.Find(`[data-testid="where-blog"] [data-testid="live-client"]`)
	if got := strings.TrimSpace(blog.Text()); got != "off" {
		t.Errorf("blog live-client with clientManagement off = %q, want off", got)
	}
	shop := p.doc.Find(`[data-testid="where-shop"]`)
	if got := strings.TrimSpace(shop.Find(`[data-testid="live-session"]`).Text()); got != "unavailable" {
		t.Errorf("shop live-session on a storage that is down = %q, want unavailable", got)
	}
	if got := shop.Find(`[data-testid="live-session-message"]`).Text(); !strings.Contains(got, `"down" is unavailable`) {
		t.Errorf("shop live-session-message = %q", got)
	}
	if got := p.testid("live-total"); got != "3" {
		t.Errorf("live-total = %q, want 3: shop's clients and blog's session", got)
	}
	if got := p.testid("live-total-note"); got != "without 1 count that is unavailable" {
		t.Errorf("live-total-note = %q", got)
	}
}

// Redis counts its live scopes exactly: the overview shows no estimate.
func TestOverviewCountsRedisExactly(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "cache", Type: "redis", Storage: true,
		Params: map[string]string{"url": conntest.RedisURL(t), "prefix": conntest.RedisPrefix(t)}}); err != nil {
		t.Fatal(err)
	}
	tc.createApp(t, "shop")
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"clientStorage": "cache"}); err != nil {
		t.Fatal(err)
	}
	tc.createScopes(t, "shop", scopes.Client, 1234)
	tc.createScopes(t, "shop", scopes.Session, 1)
	p := tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	// Redis counts its live scopes exactly (an expiry index per bucket).
	cell := p.doc.Find(`[data-testid="where-shop"] [data-testid="live-client"]`)
	if got := strings.TrimSpace(cell.Text()); got != "1,234" {
		t.Errorf("live-client on Redis = %q, want 1,234", got)
	}
	if got := p.testid("live-total"); got != "1,235" {
		t.Errorf("live-total = %q, want 1,235", got)
	}
}

// A request that a storage fails shows on the overview, with what the
// application was told and why; a fresh instance says it saw none.
func TestOverviewListsRecentErrors(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	tc.createScopes(t, "shop", scopes.Session, 1)
	p := tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("recent-errors-empty"); got != "None since this instance started." {
		t.Errorf("recent-errors-empty = %q", got)
	}
	if !strings.Contains(p.testid("recent-errors-note"), "this instance") {
		t.Errorf("the note does not say the errors are this instance's: %q", p.testid("recent-errors-note"))
	}

	// shop's sessions move to a storage that does not answer; a request fails.
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "down", Type: "redis", Storage: true,
		Params: map[string]string{"url": "redis://127.0.0.1:1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"sessionStorage": "down"}); err != nil {
		t.Fatal(err)
	}
	eff, err := tc.dir.Effective(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tc.engine.Create(ctx, eff.Settings, "shop", scopes.Session, nil)
	if scopes.ErrorCode(err) != scopes.EUnavailable {
		t.Fatalf("create on a storage that is down: %v", err)
	}
	p = tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if p.testid("recent-errors-empty") != "" {
		t.Error("the overview still says there were no errors")
	}
	rows := p.doc.Find(`[data-testid="recent-errors"] [data-testid="recent-error"]`)
	if rows.Length() == 0 {
		t.Fatal("no recent error listed")
	}
	row := rows.First()
	if got := row.Find(`[data-testid="recent-error-storage"]`).Text(); got != "down" {
		t.Errorf("the newest error's storage = %q, want down", got)
	}
	if got := row.Find(`[data-testid="recent-error-message"]`).Text(); !strings.Contains(got, `"down" is unavailable`) {
		t.Errorf("the newest error's message = %q", got)
	}
	if got := row.Find(`[data-testid="recent-error-cause"]`).Text(); got == "" {
		t.Error("the newest error has no cause")
	}
}
