package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// TestLimits_Statuses: over an app's live scope limit a create is answered
// 507 and over its create rate 429 with Retry-After, each with a message
// naming the setting; nothing is created.
func TestLimits_Statuses(t *testing.T) {
	a := newTestAPI(t)
	key := a.app("shop", map[string]string{"maxScopes": "2", "maxCreateRate": "3", "sessionStorage": "memory"})
	a.create("shop", key, "sessions")
	a.create("shop", key, "sessions")
	r := a.do("POST", "/api/v1/apps/shop/sessions", key, "")
	mustStatus(t, r, http.StatusInsufficientStorage)
	if code := r.errorCode(t); code != "quota_exceeded" || !strings.Contains(string(r.body), "maxScopes 2") {
		t.Errorf("507 body: %s", r.body)
	}
	// Three tokens a second, the third spent on the refused create above.
	r = a.do("POST", "/api/v1/apps/shop/clients", key, "")
	mustStatus(t, r, http.StatusTooManyRequests)
	if code := r.errorCode(t); code != "too_many_requests" || !strings.Contains(string(r.body), "maxCreateRate") {
		t.Errorf("429 body: %s", r.body)
	}
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q; want 1", got)
	}
	r = a.do("GET", "/api/v1/apps/shop/sessions/count", key, "")
	mustStatus(t, r, http.StatusOK)
	if n := r.json(t)["count"]; n != float64(2) {
		t.Errorf("live sessions = %v; want the 2 created", n)
	}
}

// TestLimits_AppCannotRaiseItsOwn: the limits are an administrator's: an
// app declaring one is refused and changes nothing.
func TestLimits_AppCannotRaiseItsOwn(t *testing.T) {
	a := newTestAPI(t)
	key := a.app("shop", map[string]string{"maxScopes": "2"})
	for _, name := range []string{"maxScopes", "maxMemory", "maxCreateRate"} {
		r := a.do("PUT", "/api/v1/apps/shop/settings", key, `{"`+name+`":"0"}`)
		mustStatus(t, r, http.StatusForbidden)
		if !strings.Contains(string(r.body), name) || !strings.Contains(string(r.body), "--"+scopes.SettingFlag(name)) {
			t.Errorf("refusal of %s does not name it: %s", name, r.body)
		}
	}
	r := a.do("GET", "/api/v1/apps/shop/settings", key, "")
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `"maxScopes"`) {
		t.Fatalf("settings do not show maxScopes: %s", r.body)
	}
}
