package admin_test

import (
	"net/http"
	"strings"
	"testing"
)

// keyRow returns the row of the app page's keys table whose label is label.
func keyRow(t *testing.T, p page, label string) (id, lastUsed, revokeHref string) {
	t.Helper()
	found := false
	rows := p.doc.Find(`[data-testid="keys-table"] tbody tr`)
	for i := range rows.Length() {
		row := rows.Eq(i)
		if strings.TrimSpace(row.Find(`[data-testid="key-label"]`).Text()) != label {
			continue
		}
		found = true
		id, _ = row.Attr("data-testid")
		lastUsed = strings.TrimSpace(row.Find(`[data-testid="key-last-used"]`).Text())
		revokeHref, _ = row.Find(`[data-testid="key-revoke"]`).Attr("href")
	}
	if !found {
		t.Fatalf("no key %q in the keys table:\n%s", label, p.doc.Find(`[data-testid="keys"]`).Text())
	}
	return id, lastUsed, revokeHref
}

// addKey adds a key through the app page's form and returns it.
func (tc *testConsole) addKey(t *testing.T, app, label string) string {
	t.Helper()
	form := browserForm(t, tc.get("/admin/apps/"+app), `[data-testid="add-key-form"]`)
	form.Set("label", label)
	p := tc.post("/admin/apps/"+app+"/keys", form)
	mustStatus(t, p, http.StatusSeeOther)
	p = tc.get(p.location)
	mustStatus(t, p, http.StatusOK)
	key := p.testid("api-key")
	if !strings.HasPrefix(key, "ssk_") {
		t.Fatalf("no API key on the page:\n%s", p.body)
	}
	return key
}

func TestAddKeyKeepsTheOthers(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	old := tc.createApp(t, "shop")
	p := tc.get("/admin/apps/shop")
	if _, used, _ := keyRow(t, p, "key 1"); used != "never" {
		t.Errorf("a new key's last use: %q, want never", used)
	}
	if got := p.testid("keys-count"); !strings.Contains(got, "one active API key") {
		t.Errorf("keys-count %q", got)
	}

	form := browserForm(t, p, `[data-testid="add-key-form"]`)
	form.Set("label", "  web servers ")
	p = tc.post("/admin/apps/shop/keys", form)
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/apps/shop/keys/new" {
		t.Fatalf("add key → %q", p.location)
	}
	p = tc.get(p.location)
	mustStatus(t, p, http.StatusOK)
	fresh := p.testid("api-key")
	if !strings.HasPrefix(fresh, "ssk_") || fresh == old || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the added key's page: key %q, Cache-Control %q", fresh, p.header.Get("Cache-Control"))
	}
	if !strings.Contains(p.testid("key-warning"), "not shown again") || p.doc.Find(`[data-testid="copy-key"][data-copy]`).Length() != 1 {
		t.Errorf("the new key's page has no warning or no copy button:\n%s", p.body)
	}
	if got := p.testid("key-added"); !strings.Contains(got, "keep working") {
		t.Errorf("key-added %q", got)
	}
	if !strings.Contains(p.doc.Find("h1").Text(), "web servers") {
		t.Errorf("title %q does not name the label", p.doc.Find("h1").Text())
	}
	if !tc.authenticates(old, "shop") || !tc.authenticates(fresh, "shop") {
		t.Fatal("after adding a key, both keys must work")
	}
	if e := tc.lastAudit(t); e.Action != "app.key.add" || e.Target != "shop" || !strings.Contains(e.Detail, "web servers") {
		t.Errorf("audit %+v", e)
	}

	// The list shows both, and the new key's use once recorded.
	tc.dir.WaitKeyUses()
	p = tc.get("/admin/apps/shop")
	if got := p.testid("keys-count"); !strings.Contains(got, "2 active API keys") {
		t.Errorf("keys-count %q", got)
	}
	if _, used, _ := keyRow(t, p, "web servers"); used != "just now" {
		t.Errorf("the used key's last use: %q, want just now", used)
	}
	if strings.Contains(p.body, fresh) || strings.Contains(p.body, old) {
		t.Error("the app page shows a key")
	}

	// A label that does not fit is refused beside the field, as typed.
	long := strings.Repeat("x", 101)
	form = browserForm(t, p, `[data-testid="add-key-form"]`)
	form.Set("label", long)
	p = tc.post("/admin/apps/shop/keys", form)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.testid("error-label"), "100 characters") || p.doc.Find("#key-label").AttrOr("value", "") != long {
		t.Errorf("a long label: error %q, value kept %v", p.testid("error-label"), p.doc.Find("#key-label").AttrOr("value", "") == long)
	}
	// Without a label the key is numbered.
	tc.addKey(t, "shop", "")
	keyRow(t, tc.get("/admin/apps/shop"), "key 3")
	mustStatus(t, tc.post("/admin/apps/nope/keys", nil), http.StatusNotFound)
}

func TestRevokeOneKey(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	old := tc.createApp(t, "shop")
	fresh := tc.addKey(t, "shop", "web servers")
	tc.authenticates(old, "shop")
	tc.dir.WaitKeyUses()

	// The confirmation says the old key is still in use and names the key kept.
	_, _, href := keyRow(t, tc.get("/admin/apps/shop"), "key 1")
	p := tc.get(href)
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("revoke-key-recent"); !strings.Contains(got, "just now") {
		t.Errorf("no warning that the key is in use: %q", got)
	}
	if got := p.testid("revoke-key-others"); !strings.Contains(got, "web servers") {
		t.Errorf("revoke-key-others %q", got)
	}
	if p.testid("revoke-key-last") != "" || p.doc.Find(`[data-testid="revoke-key-confirm"]`).Length() != 0 {
		t.Error("a key that is not the last asks for the last key's confirmation")
	}
	p = tc.post(href, browserForm(t, p, `[data-testid="revoke-key-form"]`))
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/apps/shop" {
		t.Errorf("revoke → %q", p.location)
	}
	if tc.authenticates(old, "shop") || !tc.authenticates(fresh, "shop") {
		t.Fatal("after revoking key 1: the old key must fail, the new one work")
	}
	if e := tc.lastAudit(t); e.Action != "app.key.revoke" || !strings.Contains(e.Detail, "key 1") || !strings.Contains(e.Detail, "1 active key left") {
		t.Errorf("audit %+v", e)
	}
	p = tc.get("/admin/apps/shop")
	if !strings.Contains(p.testid("flash"), "revoked") || !strings.Contains(p.testid("revoked-keys"), "key 1") {
		t.Errorf("after revoking: flash %q, revoked %q", p.testid("flash"), p.testid("revoked-keys"))
	}
	// The revoked key's page leads back; a second revocation changes nothing.
	p = tc.get(href)
	mustStatus(t, p, http.StatusSeeOther)
	mustStatus(t, tc.post(href, nil), http.StatusConflict)
	mustStatus(t, tc.get("/admin/apps/shop/keys/999999/revoke"), http.StatusNotFound)
	mustStatus(t, tc.get("/admin/apps/shop/keys/x/revoke"), http.StatusNotFound)
}

func TestRevokeTheLastKeyTakesConfirmation(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	key := tc.createApp(t, "shop")
	_, _, href := keyRow(t, tc.get("/admin/apps/shop"), "key 1")
	p := tc.get(href)
	if got := p.testid("revoke-key-last"); !strings.Contains(got, "401") || !strings.Contains(got, "last active API key") {
		t.Errorf("the last key's page does not say what happens: %q", got)
	}
	form := browserForm(t, p, `[data-testid="revoke-key-form"]`)
	if form.Get("confirm") != "" {
		t.Fatal("the confirmation box is ticked already")
	}
	p = tc.post(href, form)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.testid("error-revoke-key"), "401") || !tc.authenticates(key, "shop") {
		t.Fatalf("unconfirmed: message %q, key works %v", p.testid("error-revoke-key"), tc.authenticates(key, "shop"))
	}
	form.Set("confirm", "yes")
	mustStatus(t, tc.post(href, form), http.StatusSeeOther)
	if tc.authenticates(key, "shop") {
		t.Error("the last key still works after a confirmed revocation")
	}
	if e := tc.lastAudit(t); e.Action != "app.key.revoke" || !strings.Contains(e.Detail, "locked out") {
		t.Errorf("audit %+v", e)
	}
	p = tc.get("/admin/apps/shop")
	if !strings.Contains(p.testid("flash"), "no active key") || !strings.Contains(p.testid("keys-count"), "no active API key") ||
		p.doc.Find(`[data-testid="keys-table"]`).Length() != 0 {
		t.Errorf("after revoking the last key: flash %q, count %q", p.testid("flash"), p.testid("keys-count"))
	}
}

func TestReplaceAllKeysIsFoldedAway(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	p := tc.get("/admin/apps/shop")
	if _, open := p.doc.Find(`[data-testid="keys-at-once"]`).Attr("open"); open || !strings.Contains(p.testid("keys-at-once"), "with downtime") {
		t.Errorf("rotation is not folded away under 'with downtime': open %v, %q", open, p.testid("keys-at-once"))
	}
	// A rotation sent unticked shows its message, unfolded.
	p = tc.post("/admin/apps/shop/rotate", nil)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if _, open := p.doc.Find(`[data-testid="keys-at-once"]`).Attr("open"); !open || p.testid("error-rotate") == "" {
		t.Errorf("an unticked rotation: open %v, message %q", open, p.testid("error-rotate"))
	}
}
