package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// confirmStorageChange checks that p is the confirmation of a storage
// change and sends its form, as the "Change storage" button does.
func (tc *testConsole) confirmStorageChange(t *testing.T, p page) page {
	t.Helper()
	mustStatus(t, p, http.StatusOK)
	return tc.post(p.doc.Find(`[data-testid="storage-change-form"]`).AttrOr("action", ""),
		browserForm(t, p, `[data-testid="storage-change-form"]`))
}

// auditCount is how many entries the audit log holds.
func (tc *testConsole) auditCount(t *testing.T) int {
	t.Helper()
	entries, err := tc.config.Audit(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// A change of the server's session storage shows the apps that inherit it
// with their live sessions, saves nothing, and is saved once confirmed.
func TestServerStorageChangeIsConfirmedFirst(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	tc.createApp(t, "own")
	if _, err := tc.dir.SetAppSettings(ctx, "own", map[string]string{"sessionStorage": "file"}); err != nil {
		t.Fatal(err)
	}
	eff, _ := tc.dir.Effective(ctx, "shop")
	for range 2 {
		if _, err := tc.engine.Create(ctx, eff.Settings, "shop", scopes.Session, nil); err != nil {
			t.Fatal(err)
		}
	}
	audited := tc.auditCount(t)

	_, form := tc.scopeForm(t)
	form.Set("sessionStorage", "file")
	p := tc.post("/admin/scope", form)
	mustStatus(t, p, http.StatusOK)
	if p.doc.Find(`[data-testid="storage-change"]`).Length() != 1 {
		t.Fatalf("no confirmation page\n%s", p.body)
	}
	if got := p.testid("from-session") + " → " + p.testid("to-session"); got != "memory → file" {
		t.Errorf("the change reads %q", got)
	}
	if got := p.testid("check-now-session"); !strings.Contains(got, "answers") {
		t.Errorf("check-now-session = %q", got)
	}
	row := p.doc.Find(`[data-testid="move-shop-session"]`)
	if got := strings.TrimSpace(row.Find(`[data-testid="move-count"]`).Text()); got != "2" {
		t.Errorf("shop's live sessions read %q, want 2", got)
	}
	if p.doc.Find(`[data-testid="move-own-session"]`).Length() != 0 || p.doc.Find(`[data-testid^="move-shop-client"]`).Length() != 0 {
		t.Error("an app or scope that does not move is listed")
	}
	if got := p.testid("not-moved"); !strings.Contains(got, "not moved") {
		t.Errorf("not-moved = %q", got)
	}
	if p.doc.Find(`[data-testid="force"]`).Length() != 0 {
		t.Error("a force box for a storage that answers")
	}
	if now, _ := tc.dir.ServerSettings(ctx); now.Values["sessionStorage"] != "memory" || tc.auditCount(t) != audited {
		t.Fatalf("the confirmation page saved: %v", now.Values["sessionStorage"])
	}
	if got := p.doc.Find(`[data-testid="cancel"]`).AttrOr("href", ""); got != "/admin/scope" {
		t.Errorf("Cancel leads to %q", got)
	}

	p = tc.confirmStorageChange(t, p)
	mustStatus(t, p, http.StatusSeeOther)
	if now, _ := tc.dir.ServerSettings(ctx); now.Values["sessionStorage"] != "file" {
		t.Errorf("confirmed, the session storage is %q", now.Values["sessionStorage"])
	}
	// shop's live sessions move too (the box is ticked by default): see
	// storage_move_test.go.
	tc.waitMove(t, p.location)
	if e := tc.auditOf(t, "server.settings"); !strings.Contains(e.Detail, "sessionStorage: inherited → file") {
		t.Errorf("audit: %+v", e)
	}
}

// Other settings save at once, as before.
func TestSettingsWithoutStorageChangeSaveAtOnce(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	_, form := tc.scopeForm(t)
	form.Set("sessionTimeout.minutes", "45")
	mustStatus(t, tc.post("/admin/scope", form), http.StatusSeeOther)
	if now, _ := tc.dir.ServerSettings(ctx); now.Values["sessionTimeout"] != "45m" {
		t.Errorf("sessionTimeout = %q", now.Values["sessionTimeout"])
	}
	p := tc.get("/admin/apps/shop")
	form = browserForm(t, p, `[data-testid="settings-form"]`)
	form.Set("clientCluster", "true")
	mustStatus(t, tc.post("/admin/apps/shop/settings", form), http.StatusSeeOther)
	if eff, _ := tc.dir.Effective(ctx, "shop"); eff.Values["clientCluster"] != "true" {
		t.Errorf("clientCluster = %q", eff.Values["clientCluster"])
	}
}

// A change of an app's storage lists that app alone, and an unreachable
// storage is refused unless forced.
func TestAppStorageChangeToUnreachableNeedsForce(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "down", Type: "redis", Storage: true,
		Params: map[string]string{"url": "redis://127.0.0.1:1"}}); err != nil {
		t.Fatal(err)
	}
	tc.createApp(t, "shop")
	tc.createApp(t, "other")
	audited := tc.auditCount(t)

	form := browserForm(t, tc.get("/admin/apps/shop"), `[data-testid="settings-form"]`)
	form.Set("sessionStorage", "down")
	p := tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusOK)
	if p.doc.Find(`[data-testid="move-shop-session"]`).Length() != 1 || p.doc.Find(`[data-testid^="move-other"]`).Length() != 0 {
		t.Errorf("the moves listed: %q", p.testid("moves"))
	}
	if got := p.testid("last-verify-session"); !strings.Contains(got, "never verified") {
		t.Errorf("last-verify-session = %q", got)
	}
	if got := p.testid("check-now-session"); !strings.Contains(got, "does not answer") {
		t.Errorf("check-now-session = %q", got)
	}
	if p.testid("unreachable") == "" || p.doc.Find(`[data-testid="force"]`).Length() != 1 {
		t.Fatalf("no warning or force box for a storage that does not answer\n%s", p.body)
	}

	// Confirmed without force: refused, nothing changes.
	refused := tc.confirmStorageChange(t, p)
	mustStatus(t, refused, http.StatusUnprocessableEntity)
	if got := refused.testid("storage-change-error"); !strings.Contains(got, "storage down does not answer now") {
		t.Errorf("storage-change-error = %q", got)
	}
	if eff, _ := tc.dir.Effective(ctx, "shop"); eff.Values["sessionStorage"] != "memory" || tc.auditCount(t) != audited {
		t.Fatalf("a refused change saved: %q", eff.Values["sessionStorage"])
	}
	// The page Verify ran on is kept as the last one.
	if got := refused.testid("last-verify-session"); !strings.Contains(got, "failed") {
		t.Errorf("last-verify-session after a check = %q", got)
	}

	// With force: saved.
	form = browserForm(t, refused, `[data-testid="storage-change-form"]`)
	form.Set("force", "yes")
	p = tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusSeeOther)
	if eff, _ := tc.dir.Effective(ctx, "shop"); eff.Values["sessionStorage"] != "down" {
		t.Errorf("forced, the session storage is %q", eff.Values["sessionStorage"])
	}
	entries, _ := tc.config.Audit(ctx, 0, 1)
	if len(entries) != 1 || entries[0].Action != "app.settings" || entries[0].Target != "shop" ||
		!strings.Contains(entries[0].Detail, "sessionStorage: inherited → down") {
		t.Errorf("audit: %+v", entries)
	}
}

// The server defaults moved to an unreachable storage are refused without
// force too, and saved with it.
func TestServerStorageChangeToUnreachableNeedsForce(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "down", Type: "redis", Storage: true,
		Params: map[string]string{"url": "redis://127.0.0.1:1"}}); err != nil {
		t.Fatal(err)
	}
	_, form := tc.scopeForm(t)
	form.Set("clientStorage", "down")
	p := tc.post("/admin/scope", form)
	mustStatus(t, p, http.StatusOK)
	if p.testid("no-moves") == "" {
		t.Errorf("with no app, the page lists moves: %q", p.testid("moves"))
	}
	mustStatus(t, tc.confirmStorageChange(t, p), http.StatusUnprocessableEntity)
	if now, _ := tc.dir.ServerSettings(ctx); now.Values["clientStorage"] != "file" {
		t.Fatalf("a refused change saved: %q", now.Values["clientStorage"])
	}
	form = browserForm(t, p, `[data-testid="storage-change-form"]`)
	form.Set("force", "yes")
	mustStatus(t, tc.post("/admin/scope", form), http.StatusSeeOther)
	if now, _ := tc.dir.ServerSettings(ctx); now.Values["clientStorage"] != "down" {
		t.Errorf("forced, the client storage is %q", now.Values["clientStorage"])
	}
}
