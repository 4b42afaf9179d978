package web_test

import (
	"net/http"
	"testing"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches,
// and a list matches when the scope is at any of its versions. Run with
// each cluster mode, and on Redis, whose change in place checks one version
// only: a list takes the compare-and-set there.
func TestIfMatchListAndWeak(t *testing.T) {
	cases := []struct {
		name     string
		conns    func(t *testing.T) []scopes.Connection
		settings map[string]string
	}{
		{"memory cluster", func(*testing.T) []scopes.Connection { return nil }, map[string]string{"sessionCluster": "true"}},
		{"memory tiered", func(*testing.T) []scopes.Connection { return nil }, map[string]string{"sessionCluster": "false"}},
		{"redis cluster", func(t *testing.T) []scopes.Connection {
			return []scopes.Connection{{Name: "cache", Kind: "cache", Type: "redis", Storage: true,
				Params: map[string]string{"url": conntest.RedisURL(t), "prefix": conntest.RedisPrefix(t)}}}
		}, map[string]string{"sessionCluster": "true", "sessionStorage": "cache"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newStorageAPI(t, c.conns(t)...)
			key := a.app("shop", c.settings)
			cfid := a.create("shop", key, "sessions")
			path := "/api/v1/apps/shop/sessions/" + cfid
			version := func() float64 {
				r := a.do("GET", path, key, "")
				mustStatus(t, r, http.StatusOK)
				return r.json(t)["version"].(float64)
			}
			// Version 1: a weak tag of the current version does not match.
			for _, h := range []string{`W/"1"`, `W/"1", W/"2"`} {
				r := a.do("PUT", path, key, `{"data":{"n":1}}`, "If-Match", h)
				if r.status != http.StatusPreconditionFailed || r.errorCode(t) != scopes.EPreconditionFailed {
					t.Fatalf("PUT If-Match %s: %d %s; want 412", h, r.status, r.body)
				}
				r = a.do("PATCH", path, key, `{"set":{"n":1}}`, "If-Match", h)
				mustStatus(t, r, http.StatusPreconditionFailed)
			}
			if v := version(); v != 1 {
				t.Fatalf("a weak If-Match changed the scope to version %v", v)
			}
			// A list that holds the current version matches, weak tags aside.
			mustStatus(t, a.do("PUT", path, key, `{"data":{"n":1}}`, "If-Match", `"1", "2"`), http.StatusOK)
			mustStatus(t, a.do("PUT", path, key, `{"data":{"n":2}}`, "If-Match", `W/"2", "5", "2"`), http.StatusOK)
			mustStatus(t, a.do("PATCH", path, key, `{"incr":{"n":1}}`, "If-Match", `"7","3"`), http.StatusOK)
			// One that does not is 412, and changes nothing.
			r := a.do("PUT", path, key, `{"data":{"n":99}}`, "If-Match", `"1", "2", "3"`)
			mustStatus(t, r, http.StatusPreconditionFailed)
			r = a.do("PATCH", path, key, `{"set":{"n":99}}`, "If-Match", `"5", "6"`)
			mustStatus(t, r, http.StatusPreconditionFailed)
			if v := version(); v != 4 {
				t.Fatalf("version %v after three matching writes, want 4", v)
			}
			if d := a.do("GET", path, key, "").data(t); d["n"] != float64(3) {
				t.Fatalf("data %v, want n = 3", d)
			}
			// A single version still works, and a malformed list is 400.
			mustStatus(t, a.do("PATCH", path, key, `{"incr":{"n":1}}`, "If-Match", `"4"`), http.StatusOK)
			mustStatus(t, a.do("PUT", path, key, `{"data":{}}`, "If-Match", `"5", x`), http.StatusBadRequest)
			// If-None-Match: * still creates, and still contradicts any If-Match.
			other := "/api/v1/apps/shop/sessions/0f8fad5b-d9cb-469f-a165-70867728950e"
			mustStatus(t, a.do("PUT", other, key, `{"data":{}}`, "If-None-Match", "*", "If-Match", `W/"1"`), http.StatusBadRequest)
			mustStatus(t, a.do("PUT", other, key, `{"data":{}}`, "If-None-Match", "*", "If-Match", `"1", "2"`), http.StatusBadRequest)
			mustStatus(t, a.do("PUT", other, key, `{"data":{}}`, "If-None-Match", "*"), http.StatusCreated)
			mustStatus(t, a.do("PUT", other, key, `{"data":{}}`, "If-None-Match", "*"), http.StatusPreconditionFailed)
		})
	}
}
