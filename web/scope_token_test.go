package web_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/cookie"
)

// newCookieAPI serves the API with the cookie storage on, and an app shop
// whose client scope uses it; it returns the app's key.
func newCookieAPI(t *testing.T) (*testAPI, string) {
	t.Helper()
	api := newTestAPI(t)
	ring, err := cookie.NewRing(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	api.storages.UseCookieKeys(ring)
	return api, api.app("shop", map[string]string{"clientStorage": "cookie"})
}

// scopeToken returns the token of a scope answer, checking that the header
// and the JSON agree.
func scopeToken(t *testing.T, r response) string {
	t.Helper()
	h := r.header.Get("Scope-Token")
	if h == "" || len(h) > 4096 {
		t.Fatalf("Scope-Token header %q (%d bytes)", h, len(h))
	}
	if len(r.body) > 0 {
		if got, _ := r.json(t)["token"].(string); got != h {
			t.Fatalf("the JSON's token differs from the header's: %q", got)
		}
	}
	return h
}

func TestCookieScopeCycle(t *testing.T) {
	api, key := newCookieAPI(t)
	const base = "/api/v1/apps/shop/clients"
	r := api.do("POST", base, key, `{"data":{"lang":"de"}}`)
	mustStatus(t, r, http.StatusCreated)
	if r.json(t)["storage"] != "cookie" {
		t.Fatalf("storage %v", r.json(t)["storage"])
	}
	cfid, tok := r.json(t)["cfid"].(string), scopeToken(t, r)
	path := base + "/" + cfid

	r = api.do("GET", path, key, "", "Scope-Token", tok)
	mustStatus(t, r, http.StatusOK)
	tok = scopeToken(t, r)
	if r.header.Get("ETag") != `"1"` || r.json(t)["hitcount"] != float64(2) {
		t.Fatalf("load: ETag %s, %s", r.header.Get("ETag"), r.body)
	}

	r = api.do("PUT", path, key, `{"data":{"lang":"fr"}}`, "Scope-Token", tok, "If-Match", `"1"`)
	mustStatus(t, r, http.StatusOK)
	tok = scopeToken(t, r)
	// If-Match against the version in the token.
	r = api.do("PUT", path, key, `{"data":{}}`, "Scope-Token", tok, "If-Match", `"1"`)
	mustStatus(t, r, http.StatusPreconditionFailed)
	if r.header.Get("Scope-Token") != "" {
		t.Error("a refused save handed out a token")
	}

	r = api.do("PATCH", path, key, `{"incr":{"n":1}}`, "Scope-Token", tok)
	mustStatus(t, r, http.StatusOK)
	tok = scopeToken(t, r)
	if d := r.data(t); d["lang"] != "fr" || d["n"] != float64(1) {
		t.Fatalf("patch: %s", r.body)
	}

	r = api.do("POST", path+"/touch", key, "", "Scope-Token", tok)
	mustStatus(t, r, http.StatusNoContent)
	tok = scopeToken(t, r)

	r = api.do("DELETE", path, key, "", "Scope-Token", tok)
	mustStatus(t, r, http.StatusNoContent)
	r = api.do("DELETE", path, key, "")
	mustStatus(t, r, http.StatusNoContent)
}

func TestCookieScopeNotFound(t *testing.T) {
	api, key := newCookieAPI(t)
	const base = "/api/v1/apps/shop/clients"
	r := api.do("POST", base, key, `{"data":{"a":1}}`)
	mustStatus(t, r, http.StatusCreated)
	cfid, tok := r.json(t)["cfid"].(string), scopeToken(t, r)
	other := api.create("shop", key, "clients")
	key2 := api.app("shop2", map[string]string{"clientStorage": "cookie"})

	flipped := []byte(tok)
	flipped[len(flipped)/2] ^= 1
	if c := flipped[len(flipped)/2]; c == '-' || c == '_' || c > 'z' {
		flipped[len(flipped)/2] = 'A'
	}
	for name, c := range map[string]struct{ key, path, token string }{
		"no token":       {key, base + "/" + cfid, ""},
		"tampered":       {key, base + "/" + cfid, string(flipped)},
		"another cfid":   {key, base + "/" + other, tok},
		"another app":    {key2, "/api/v1/apps/shop2/clients/" + cfid, tok},
		"too long token": {key, base + "/" + cfid, strings.Repeat("A", 5000)},
	} {
		t.Run(name, func(t *testing.T) {
			for _, req := range [][2]string{{"GET", ""}, {"PUT", `{"data":{}}`}, {"PATCH", `{"set":{"a":2}}`}} {
				r := api.do(req[0], c.path, c.key, req[1], "Scope-Token", c.token)
				mustStatus(t, r, http.StatusNotFound)
				if r.errorCode(t) != "not_found" || r.header.Get("Scope-Token") != "" {
					t.Fatalf("%s: %s, token %q", req[0], r.body, r.header.Get("Scope-Token"))
				}
			}
			r := api.do("POST", c.path+"/touch", c.key, "", "Scope-Token", c.token)
			mustStatus(t, r, http.StatusNotFound)
		})
	}

	t.Run("another key", func(t *testing.T) {
		ring, err := cookie.NewRing(bytes.Repeat([]byte{8}, 32))
		if err != nil {
			t.Fatal(err)
		}
		api.storages.UseCookieKeys(ring)
		r := api.do("GET", base+"/"+cfid, key, "", "Scope-Token", tok)
		mustStatus(t, r, http.StatusNotFound)
	})

	t.Run("expired", func(t *testing.T) {
		api2, key := newCookieAPI(t)
		r := api2.do("POST", base, key, "")
		mustStatus(t, r, http.StatusCreated)
		cfid, tok := r.json(t)["cfid"].(string), scopeToken(t, r)
		api2.clock.Advance(90 * 24 * time.Hour)
		r = api2.do("GET", base+"/"+cfid, key, "", "Scope-Token", tok)
		mustStatus(t, r, http.StatusNotFound)
	})
}

func TestCookieScopeTooLarge(t *testing.T) {
	api, key := newCookieAPI(t)
	const base = "/api/v1/apps/shop/clients"
	r := api.do("POST", base, key, "")
	mustStatus(t, r, http.StatusCreated)
	cfid, tok := r.json(t)["cfid"].(string), scopeToken(t, r)
	big := `{"data":{"x":"` + strings.Repeat("a", 3200) + `"}}`
	r = api.do("PUT", base+"/"+cfid, key, big, "Scope-Token", tok)
	mustStatus(t, r, http.StatusRequestEntityTooLarge)
	if r.errorCode(t) != "too_large" || !strings.Contains(string(r.body), "another storage") {
		t.Fatalf("%s", r.body)
	}
	if r.header.Get("Scope-Token") != "" {
		t.Error("a refused save handed out a token")
	}
}

// TestCookieScopeReplay shows the documented limit: an older token, sent
// after a newer save, still opens, with the older data.
func TestCookieScopeReplay(t *testing.T) {
	api, key := newCookieAPI(t)
	const base = "/api/v1/apps/shop/clients"
	r := api.do("POST", base, key, `{"data":{"credit":10}}`)
	mustStatus(t, r, http.StatusCreated)
	cfid, old := r.json(t)["cfid"].(string), scopeToken(t, r)
	r = api.do("PUT", base+"/"+cfid, key, `{"data":{"credit":0}}`, "Scope-Token", old)
	mustStatus(t, r, http.StatusOK)
	r = api.do("GET", base+"/"+cfid, key, "", "Scope-Token", old)
	mustStatus(t, r, http.StatusOK)
	if r.data(t)["credit"] != float64(10) {
		t.Fatalf("the replayed token: %s", r.body)
	}
}

func TestCookieScopeUnsupportedAndSettings(t *testing.T) {
	api, key := newCookieAPI(t)
	for _, path := range []string{"/api/v1/apps/shop/clients", "/api/v1/apps/shop/clients/count"} {
		r := api.do("GET", path, key, "")
		mustStatus(t, r, http.StatusNotImplemented)
		if r.errorCode(t) != "not_supported" || !strings.Contains(string(r.body), "browser") {
			t.Fatalf("%s: %s", path, r.body)
		}
	}
	r := api.do("PUT", "/api/v1/apps/shop/settings", key, `{"sessionStorage":"cookie"}`)
	mustStatus(t, r, http.StatusUnprocessableEntity)
	if r.errorCode(t) != "invalid_settings" || !strings.Contains(string(r.body), "client scope only") {
		t.Fatalf("%s", r.body)
	}
	r = api.do("GET", "/api/v1/apps/shop/settings", key, "")
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `"cookie"`) {
		t.Errorf("cookie is not among the valid storages: %s", r.body)
	}
	// Sessions of a cookie app are untouched: no token header.
	r = api.do("POST", "/api/v1/apps/shop/sessions", key, "")
	mustStatus(t, r, http.StatusCreated)
	if r.header.Get("Scope-Token") != "" || strings.Contains(string(r.body), `"token"`) {
		t.Errorf("a session answer carries a token: %s", r.body)
	}
}
