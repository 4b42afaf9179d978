package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// createApp registers an app through the console and returns its API key.
func (tc *testConsole) createApp(t *testing.T, name string) string {
	t.Helper()
	tc.get("/admin/apps")
	p := tc.post("/admin/apps", url.Values{"name": {name}})
	mustStatus(t, p, http.StatusSeeOther)
	p = tc.get(p.location)
	mustStatus(t, p, http.StatusOK)
	key := p.testid("api-key")
	if !strings.HasPrefix(key, "ssk_") {
		t.Fatalf("no API key on the page:\n%s", p.body)
	}
	return key
}

// authenticates tells whether key authenticates as app.
func (tc *testConsole) authenticates(key, app string) bool {
	got, err := tc.dir.Authenticate(context.Background(), key)
	return err == nil && got == app
}

func TestCreateAppShowsTheKeyOnce(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	if p := tc.get("/admin/apps"); p.testid("apps-empty") == "" {
		t.Errorf("no empty state:\n%s", p.body)
	}
	p := tc.post("/admin/apps", url.Values{"name": {"shop"}})
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/apps/shop/keys/new" || strings.Contains(p.body, "ssk_") {
		t.Fatalf("the POST leads to %q (body %q); want the new key's page, and no key in the POST's answer", p.location, p.body)
	}
	p = tc.get(p.location)
	mustStatus(t, p, http.StatusOK)
	key := p.testid("api-key")
	if !tc.authenticates(key, "shop") {
		t.Fatalf("the key %q shown does not authenticate as shop", key)
	}
	if !strings.Contains(p.testid("key-warning"), "not shown again") {
		t.Errorf("no warning that the key is shown once: %q", p.testid("key-warning"))
	}
	if _, ok := p.doc.Find(`[data-testid="copy-key"]`).Attr("data-copy"); !ok {
		t.Error("no copy button")
	}
	curl := p.testid("curl")
	if !strings.Contains(curl, "Authorization: Bearer "+key) || !strings.Contains(curl, tc.srv.URL+"/api/v1/apps/shop/sessions") {
		t.Errorf("curl example %q", curl)
	}

	// The key page is never cached, and a reload shows no key.
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("key page: Cache-Control %q", p.header.Get("Cache-Control"))
	}
	if again := tc.get("/admin/apps/shop/keys/new"); again.status != http.StatusSeeOther || strings.Contains(again.body, "ssk_") {
		t.Errorf("reload of the key page: %d, key shown %v", again.status, strings.Contains(again.body, "ssk_"))
	}

	// The list shows the app, and no page shows the key again.
	p = tc.get("/admin/apps")
	row := p.doc.Find(`[data-testid="app-shop"]`)
	if row.Length() != 1 || strings.TrimSpace(row.Find(`[data-testid="app-keys"]`).Text()) != "1" ||
		row.Find(`[data-testid="app-session-storage"]`).Text() != "memory" ||
		row.Find(`[data-testid="app-client-storage"]`).Text() != "file" ||
		row.Find(`[data-testid="app-sources"]`).Text() != "all inherited" {
		t.Errorf("the list shows shop as %q", row.Text())
	}
	for _, path := range []string{"/admin/apps", "/admin/apps/shop", "/admin/", "/admin/audit"} {
		if p := tc.get(path); strings.Contains(p.body, key) {
			t.Errorf("%s shows the API key", path)
		}
	}
}

func TestCreateAppRefusesBadNames(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	for _, c := range []struct{ name, contains string }{
		{"", "Name is required"},
		{"my shop", "letters, digits"},
		{"-shop", "starting with a letter or digit"},
		{"shop", "already exists"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := tc.post("/admin/apps", url.Values{"name": {c.name}})
			mustStatus(t, p, http.StatusUnprocessableEntity)
			if got := p.testid("error-name"); !strings.Contains(got, c.contains) {
				t.Errorf("error-name = %q, want it to contain %q", got, c.contains)
			}
			if got := p.doc.Find("#app-name").AttrOr("value", ""); got != c.name {
				t.Errorf("the name was not kept: %q", got)
			}
		})
	}
	if apps, _ := tc.dir.Apps(context.Background()); len(apps) != 1 {
		t.Errorf("apps %v", apps)
	}
}

func TestRotateKey(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	old := tc.createApp(t, "shop")
	tc.get("/admin/apps/shop")

	// Without the box ticked nothing happens.
	p := tc.post("/admin/apps/shop/rotate", nil)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if p.testid("error-rotate") == "" || !tc.authenticates(old, "shop") {
		t.Fatalf("an unconfirmed rotation: message %q, old key works %v", p.testid("error-rotate"), tc.authenticates(old, "shop"))
	}

	p = tc.post("/admin/apps/shop/rotate", url.Values{"confirm": {"yes"}})
	mustStatus(t, p, http.StatusSeeOther)
	keyPage := p.location
	p = tc.get(keyPage)
	mustStatus(t, p, http.StatusOK)
	fresh := p.testid("api-key")
	if fresh == "" || fresh == old {
		t.Fatalf("rotation shows key %q", fresh)
	}
	if tc.authenticates(old, "shop") {
		t.Error("the old key still works after rotation")
	}
	if _, err := tc.dir.Authenticate(context.Background(), old); scopes.ErrorCode(err) != scopes.EUnauthorized {
		t.Errorf("the old key: %v", err)
	}
	if !tc.authenticates(fresh, "shop") {
		t.Error("the new key does not work")
	}
	// A reload of the key's page rotates nothing again, and shows no key.
	p = tc.get(keyPage)
	if p.status != http.StatusSeeOther || strings.Contains(p.body, "ssk_") || !tc.authenticates(fresh, "shop") {
		t.Errorf("reload of the rotated key's page: %d, key shown %v, the key shown before still works %v",
			p.status, strings.Contains(p.body, "ssk_"), tc.authenticates(fresh, "shop"))
	}
}

func TestRevokeKeys(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	key := tc.createApp(t, "shop")
	p := tc.get("/admin/apps/shop")
	form := browserForm(t, p, `[data-testid="revoke-form"]`)
	if form.Get("confirm") != "" {
		t.Fatal("the confirmation box is ticked already")
	}
	mustStatus(t, tc.post("/admin/apps/shop/revoke", form), http.StatusUnprocessableEntity)
	if !tc.authenticates(key, "shop") {
		t.Fatal("an unconfirmed revocation revoked the key")
	}
	form.Set("confirm", "yes")
	p = tc.post("/admin/apps/shop/revoke", form)
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/apps/shop" {
		t.Errorf("revoke → %q", p.location)
	}
	if tc.authenticates(key, "shop") {
		t.Error("the key still works after revocation")
	}
	p = tc.get("/admin/apps/shop")
	if !strings.Contains(p.testid("flash"), "revoked") || !strings.Contains(p.testid("keys-count"), "has no active API key") {
		t.Errorf("after revocation: flash %q, keys %q", p.testid("flash"), p.testid("keys-count"))
	}
}

func TestDeleteApp(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	key := tc.createApp(t, "shop")
	tc.get("/admin/apps/shop")
	p := tc.post("/admin/apps/shop/delete", nil)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if p.testid("error-delete") == "" {
		t.Error("no message beside the unticked box")
	}
	if apps, _ := tc.dir.Apps(ctx); len(apps) != 1 {
		t.Fatal("an unconfirmed delete deleted the app")
	}
	p = tc.post("/admin/apps/shop/delete", url.Values{"confirm": {"yes"}})
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/apps" {
		t.Errorf("delete → %q", p.location)
	}
	if apps, _ := tc.dir.Apps(ctx); len(apps) != 0 || tc.authenticates(key, "shop") {
		t.Errorf("after delete: apps %v, key works %v", apps, tc.authenticates(key, "shop"))
	}
	if p = tc.get("/admin/apps"); !strings.Contains(p.testid("flash"), "deleted") {
		t.Errorf("flash %q", p.testid("flash"))
	}
	mustStatus(t, tc.get("/admin/apps/shop"), http.StatusNotFound)
	mustStatus(t, tc.post("/admin/apps/shop/rotate", url.Values{"confirm": {"yes"}}), http.StatusNotFound)
}

func TestAppSettingsShowWhereEachComesFrom(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	if _, err := tc.dir.DeclareSettings(ctx, "shop", map[string]string{"sessionTimeout": "2h"}); err != nil {
		t.Fatal(err)
	}
	_, form := tc.scopeForm(t)
	form.Set("sessionCluster", "true")
	mustStatus(t, tc.post("/admin/scope", form), http.StatusSeeOther)

	p := tc.get("/admin/apps/shop")
	mustStatus(t, p, http.StatusOK)
	want := map[string]string{
		"sessionTimeout": "declared by the application",
		"sessionCluster": "inherited from server defaults",
		"sessionStorage": "built-in default",
	}
	for name, source := range want {
		if got := p.testid("from-" + name); got != source {
			t.Errorf("from-%s = %q, want %q", name, got, source)
		}
		if got := p.testid("source-" + name); got != source {
			t.Errorf("source-%s in the form = %q, want %q", name, got, source)
		}
	}
	if got := p.testid("value-sessionTimeout"); got != "2h" {
		t.Errorf("value-sessionTimeout = %q", got)
	}
	if got := p.doc.Find(`#sessionCluster-inherit`).Parent().Text(); !strings.Contains(got, "true, from the server defaults") {
		t.Errorf("the inherit choice of sessionCluster reads %q", got)
	}

	// Saving the form untouched leaves the app's declaration its own.
	form = browserForm(t, p, `[data-testid="settings-form"]`)
	mustStatus(t, tc.post("/admin/apps/shop/settings", form), http.StatusSeeOther)
	if eff, _ := tc.dir.Effective(ctx, "shop"); eff.From["sessionTimeout"] != scopes.FromApp {
		t.Errorf("an untouched form made sessionTimeout come from %q", eff.From["sessionTimeout"])
	}

	// An administrator sets the client storage and takes the timeout back to inherit.
	form.Set("clientStorage", "memory")
	for _, unit := range []string{"days", "hours", "minutes", "seconds"} {
		form.Set("sessionTimeout."+unit, "")
	}
	p = tc.confirmStorageChange(t, tc.post("/admin/apps/shop/settings", form))
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/apps/shop" {
		t.Errorf("save → %q", p.location)
	}
	p = tc.get("/admin/apps/shop")
	if got := p.testid("flash"); got != "The settings of shop are saved." {
		t.Errorf("flash %q", got)
	}
	if got := p.testid("from-clientStorage"); got != "set by an administrator" {
		t.Errorf("from-clientStorage = %q", got)
	}
	if got := p.testid("from-sessionTimeout"); got != "built-in default" {
		t.Errorf("from-sessionTimeout = %q", got)
	}
	if got := tc.get("/admin/apps").doc.Find(`[data-testid="app-shop"] [data-testid="app-sources"]`).Text(); got != "1 set by an administrator" {
		t.Errorf("the list sums the sources up as %q", got)
	}

	// Settings that cannot work are refused beside the field, and change nothing.
	before, _ := tc.dir.Effective(ctx, "shop")
	form = browserForm(t, p, `[data-testid="settings-form"]`)
	form.Set("sessionType", "j2ee")
	form.Set("sessionStorage", "file")
	p = tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.testid("error-sessionType"); !strings.Contains(got, "j2ee") {
		t.Errorf("error-sessionType = %q", got)
	}
	form.Set("sessionType", "inherit")
	form.Set("sessionStorage", "nosuch")
	p = tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.testid("error-sessionStorage"); !strings.Contains(got, "Session storage nosuch is not available") {
		t.Errorf("error-sessionStorage = %q", got)
	}
	if after, _ := tc.dir.Effective(ctx, "shop"); after.Values["sessionStorage"] != before.Values["sessionStorage"] || after.Values["sessionType"] != before.Values["sessionType"] {
		t.Errorf("a refused form changed the app's settings: %v", after.Values)
	}
}

func TestServerDefaultsThatWouldBreakAnAppAreRefused(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "legacy")
	if _, err := tc.dir.DeclareSettings(ctx, "legacy", map[string]string{"sessionType": "j2ee"}); err != nil {
		t.Fatal(err)
	}
	_, form := tc.scopeForm(t)
	form.Set("sessionStorage", "file")
	p := tc.post("/admin/scope", form)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.testid("error-form"); !strings.Contains(got, "legacy") {
		t.Errorf("error-form = %q, want it to name the app", got)
	}
}
