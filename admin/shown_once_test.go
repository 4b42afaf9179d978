package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// onceCookieOf returns the value of the cookie that carries a secret to its
// page, as the POST's answer set it.
func onceCookieOf(t *testing.T, p page) string {
	t.Helper()
	for _, ck := range (&http.Response{Header: p.header}).Cookies() {
		if ck.Name == "scopestore_once" {
			return ck.Value
		}
	}
	t.Fatalf("the answer sets no scopestore_once cookie: %v", p.header.Values("Set-Cookie"))
	return ""
}

// carryCookie puts into tc's browser a cookie for path that another
// browser was given.
func (tc *testConsole) carryCookie(t *testing.T, path, name, value string) {
	t.Helper()
	u, err := url.Parse(tc.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	tc.client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: path}})
}

// A token created on the API tokens page is shown by the page that the
// form's answer leads to, once: the answer carries it sealed, never in
// clear; a reload of that page creates no other token, does not show it
// again and leads back to the list, which says why. Another session cannot
// open what was kept for this one.
func TestTokenIsShownOnceAfterItsPost(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	form := browserForm(t, tc.get("/admin/tokens"), `[data-testid="token-form"]`)
	form.Set("name", "laptop")
	p := tc.post("/admin/tokens", form)
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/tokens/created" {
		t.Fatalf("the form leads to %q", p.location)
	}
	sealed := onceCookieOf(t, p)
	if strings.Contains(p.body, "sst_") || strings.Contains(strings.Join(p.header.Values("Set-Cookie"), "\n"), "sst_") {
		t.Fatalf("the POST's answer carries the token in clear:\n%v\n%s", p.header, p.body)
	}

	shown := tc.get(p.location)
	mustStatus(t, shown, http.StatusOK)
	token := shown.testid("new-token")
	if _, ok, err := tc.config.ActiveAdminToken(ctx, scopes.HashAPIKey(token)); err != nil || !ok || !strings.HasPrefix(token, "sst_") {
		t.Fatalf("the token shown %q does not sign in (%v)", token, err)
	}
	if !strings.Contains(shown.testid("token-usage"), "SCOPESTORE_TOKEN="+token) || !strings.Contains(shown.testid("token-usage"), tc.srv.URL) {
		t.Errorf("token-usage %q", shown.testid("token-usage"))
	}
	if !strings.Contains(shown.doc.Find("h1").Text(), "laptop") || !strings.Contains(shown.testid("token-warning"), "not shown again") {
		t.Errorf("title %q, warning %q", shown.doc.Find("h1").Text(), shown.testid("token-warning"))
	}
	if cc := shown.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the token's page may be cached: Cache-Control %q", cc)
	}

	// A reload: nothing made, nothing shown.
	again := tc.get(p.location)
	mustStatus(t, again, http.StatusSeeOther)
	if again.location != "/admin/tokens" || strings.Contains(again.body, token) {
		t.Fatalf("a reload leads to %q, showing the token %v", again.location, strings.Contains(again.body, token))
	}
	list := tc.get(again.location)
	if got := list.testid("flash"); !strings.Contains(got, "shown once, and it was shown already") {
		t.Errorf("flash after a reload: %q", got)
	}
	if strings.Contains(list.body, token) {
		t.Error("the list shows the token")
	}
	if tokens, err := tc.config.AdminTokens(ctx); err != nil || len(tokens) != 1 {
		t.Errorf("%d tokens after a reload, want 1 (%v)", len(tokens), err)
	}
	if n := strings.Count(auditActions(t, tc), "admin.token.create"); n != 1 {
		t.Errorf("%d tokens created in the audit log, want 1", n)
	}

	// Another session of the same user, given the sealed cookie, opens
	// nothing.
	other := tc.browser(t, "admin", testPassword)
	other.carryCookie(t, "/admin/tokens/created", "scopestore_once", sealed)
	if p := other.get("/admin/tokens/created"); p.status != http.StatusSeeOther || strings.Contains(p.body, token) {
		t.Errorf("another session opened the token: %d\n%s", p.status, p.body)
	}
	// Nor does a cookie that is not one.
	other.carryCookie(t, "/admin/tokens/created", "scopestore_once", "not+a+sealed+secret")
	if p := other.get("/admin/tokens/created"); p.status != http.StatusSeeOther {
		t.Errorf("a forged cookie: %d\n%s", p.status, p.body)
	}
}

// A key added on an app's page is shown by the page that the form's answer
// leads to, once; a reload of that page adds no other key, does not show it
// again and leads back to the app's keys, which say why.
func TestAddedKeyIsShownOnceAfterItsPost(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	form := browserForm(t, tc.get("/admin/apps/shop"), `[data-testid="add-key-form"]`)
	form.Set("label", "web servers")
	p := tc.post("/admin/apps/shop/keys", form)
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/apps/shop/keys/new" {
		t.Fatalf("the form leads to %q", p.location)
	}
	if strings.Contains(p.body, "ssk_") || strings.Contains(strings.Join(p.header.Values("Set-Cookie"), "\n"), "ssk_") {
		t.Fatalf("the POST's answer carries the key in clear:\n%v\n%s", p.header, p.body)
	}
	shown := tc.get(p.location)
	mustStatus(t, shown, http.StatusOK)
	key := shown.testid("api-key")
	if !tc.authenticates(key, "shop") || !strings.Contains(shown.doc.Find("h1").Text(), "web servers") {
		t.Fatalf("the key shown %q does not open shop, or the title %q does not name it", key, shown.doc.Find("h1").Text())
	}

	again := tc.get(p.location)
	mustStatus(t, again, http.StatusSeeOther)
	if again.location != "/admin/apps/shop#keys" || strings.Contains(again.body, key) {
		t.Fatalf("a reload leads to %q, showing the key %v", again.location, strings.Contains(again.body, key))
	}
	app := tc.get(again.location)
	if got := app.testid("flash"); !strings.Contains(got, "shown once, and it was shown already") {
		t.Errorf("flash after a reload: %q", got)
	}
	if strings.Contains(app.body, key) {
		t.Error("the app page shows the key")
	}
	if keys, err := tc.dir.Keys(ctx, "shop"); err != nil || len(keys) != 2 {
		t.Errorf("%d keys after a reload, want the first and the one added (%v)", len(keys), err)
	}
	if n := strings.Count(auditActions(t, tc), "app.key.add"); n != 1 {
		t.Errorf("%d keys added in the audit log, want 1", n)
	}
	// Kept for shop, it does not open on another app's page.
	tc.createApp(t, "blog")
	p = tc.post("/admin/apps/shop/keys", browserForm(t, tc.get("/admin/apps/shop"), `[data-testid="add-key-form"]`))
	tc.carryCookie(t, "/admin/apps/blog/keys/new", "scopestore_once", onceCookieOf(t, p))
	if p := tc.get("/admin/apps/blog/keys/new"); p.status != http.StatusSeeOther || strings.Contains(p.body, "ssk_") {
		t.Errorf("shop's key opened on blog's page: %d\n%s", p.status, p.body)
	}
}

// auditActions lists the actions in the audit log, one a line.
func auditActions(t *testing.T, tc *testConsole) string {
	t.Helper()
	entries, err := tc.config.Audit(context.Background(), 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.Action + "\n")
	}
	return b.String()
}
