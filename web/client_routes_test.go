package web_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// PUT with If-None-Match: * creates under the caller's cfid, once.
func TestPutIfNoneMatchCreates(t *testing.T) {
	a := newTestAPI(t)
	key := a.app("shop", nil)
	cfid := scopes.NewCFID()
	path := "/api/v1/apps/shop/sessions/" + cfid

	mustStatus(t, a.do("PUT", path, key, `{"data":{"n":1}}`), http.StatusNotFound)
	r := a.do("PUT", path, key, `{"data":{"n":1}}`, "If-None-Match", "*")
	mustStatus(t, r, http.StatusCreated)
	if r.json(t)["cfid"] != cfid || r.header.Get("ETag") != `"1"` {
		t.Fatalf("created %s with ETag %s; want %s, \"1\"", r.body, r.header.Get("ETag"), cfid)
	}
	r = a.do("PUT", path, key, `{"data":{"n":2}}`, "If-None-Match", "*")
	if mustStatus(t, r, http.StatusPreconditionFailed); r.errorCode(t) != "precondition_failed" {
		t.Fatalf("second create: %s", r.body)
	}
	if d := a.do("GET", path, key, "").data(t); d["n"] != float64(1) {
		t.Fatalf("after a refused create the data is %v; want n 1", d)
	}
	other := "/api/v1/apps/shop/sessions/" + scopes.NewCFID()
	mustStatus(t, a.do("PUT", other, key, "", "If-None-Match", "*"), http.StatusCreated) // no body: empty data
	for _, h := range [][]string{{"If-None-Match", `"3"`}, {"If-None-Match", "*", "If-Match", `"1"`}} {
		if r := a.do("PUT", path, key, `{"data":{}}`, h...); r.status != http.StatusBadRequest || r.errorCode(t) != "invalid" {
			t.Errorf("PUT with %v: %d %s; want 400 invalid", h, r.status, r.body)
		}
	}
	mustStatus(t, a.do("PUT", "/api/v1/apps/shop/sessions/not-a-uuid", key, `{"data":{}}`, "If-None-Match", "*"), http.StatusBadRequest)
}

// Rotating answers the new session with Location; the old cfid answers
// read-only with rotatedTo, refuses changes with 409 rotated and the new
// Location, and is gone after the grace.
func TestRotate(t *testing.T) {
	a := newTestAPI(t)
	key := a.app("shop", nil)
	old := a.create("shop", key, "sessions")
	base := "/api/v1/apps/shop/sessions/"
	mustStatus(t, a.do("PATCH", base+old, key, `{"set":{"user":"ann"}}`), http.StatusOK)

	r := a.do("POST", base+old+"/rotate", key, "")
	mustStatus(t, r, http.StatusCreated)
	moved := r.json(t)["cfid"].(string)
	if moved == old || r.header.Get("Location") != base+moved || r.data(t)["user"] != "ann" {
		t.Fatalf("rotate: %s, Location %q", r.body, r.header.Get("Location"))
	}
	r = a.do("GET", base+old, key, "")
	if mustStatus(t, r, http.StatusOK); r.json(t)["rotatedTo"] != moved || r.data(t)["user"] != "ann" {
		t.Fatalf("old cfid: %s; want its data and rotatedTo %s", r.body, moved)
	}
	for _, w := range []struct{ method, path, body string }{
		{"PATCH", base + old, `{"set":{"x":1}}`}, {"PUT", base + old, `{"data":{}}`},
		{"POST", base + old + "/touch", ""}, {"POST", base + old + "/rotate", ""},
	} {
		r := a.do(w.method, w.path, key, w.body)
		if r.status != http.StatusConflict || r.errorCode(t) != "rotated" || r.header.Get("Location") != base+moved {
			t.Errorf("%s %s on the rotated cfid: %d %s, Location %q; want 409 rotated with the new Location", w.method, w.path, r.status, r.body, r.header.Get("Location"))
		}
	}
	a.clock.Advance(scopes.DefaultRotateGrace + time.Second)
	mustStatus(t, a.do("GET", base+old, key, ""), http.StatusNotFound)
	mustStatus(t, a.do("GET", base+moved, key, ""), http.StatusOK)

	chosen := scopes.NewCFID()
	r = a.do("POST", base+moved+"/rotate", key, `{"cfid":"`+chosen+`"}`)
	if mustStatus(t, r, http.StatusCreated); r.json(t)["cfid"] != chosen {
		t.Fatalf("rotate to a chosen cfid: %s", r.body)
	}
	for body, code := range map[string]string{`{"cfid":"x"}`: "invalid", `{"cfidd":"x"}`: "invalid", `[`: "invalid"} {
		if r := a.do("POST", base+chosen+"/rotate", key, body); r.status != http.StatusBadRequest || r.errorCode(t) != code {
			t.Errorf("rotate with %s: %d %s", body, r.status, r.body)
		}
	}
	mustStatus(t, a.do("POST", base+scopes.NewCFID()+"/rotate", key, ""), http.StatusNotFound)
	mustStatus(t, a.do("POST", "/api/v1/apps/shop/clients/"+scopes.NewCFID()+"/rotate", key, ""), http.StatusNotFound)
}

// A rotation tells the app's webhook that the old cfid was rotated, naming
// the new one; the old cfid's expiry at the end of the grace is not told,
// since the session did not end.
func TestRotate_WebhookToldRotatedNotExpired(t *testing.T) {
	for _, storage := range []string{"memory", "file"} {
		t.Run(storage, func(t *testing.T) {
			a := newTestAPI(t)
			const hook = "https://hooks.example/end"
			key := a.app("shop", map[string]string{scopes.SessionStorage: storage, scopes.AllowedWebhooks: hook, scopes.ScopeEndWebhook: hook})
			a.engine.Ends = scopes.NewNotifier(a.config, nil, a.dir)
			old := a.create("shop", key, "sessions")
			r := a.do("POST", "/api/v1/apps/shop/sessions/"+old+"/rotate", key, "")
			mustStatus(t, r, http.StatusCreated)
			moved := r.json(t)["cfid"].(string)

			a.clock.Advance(scopes.DefaultRotateGrace + time.Second)
			swept, err := a.engine.Sweep(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			cleaned, err := a.engine.Clean(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			// The cleaner found the old cfid expired and reported it: only the
			// outbox's one notification per key keeps it from being told.
			if swept+cleaned[storage] != 1 {
				t.Fatalf("the cleaners removed %d (memory) and %v; want the old cfid", swept, cleaned)
			}
			mustStatus(t, a.do("GET", "/api/v1/apps/shop/sessions/"+old, key, ""), http.StatusNotFound)
			ns, err := a.config.DueNotifications(t.Context(), time.Now().Add(time.Hour), 100, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := `{"app":"shop","scope":"session","cfid":"` + old + `","reason":"rotated","rotatedTo":"` + moved + `"}`
			if len(ns) != 1 || string(ns[0].Body()) != want {
				t.Fatalf("notifications %+v; want only %s", ns, want)
			}
		})
	}
}

// The app's key lists, counts and clears its own scopes, and no other app's.
func TestListCountClear(t *testing.T) {
	a := newTestAPI(t)
	key := a.app("shop", nil)
	otherKey := a.app("shop2", nil)
	a.create("shop2", otherKey, "sessions")
	made := map[string]bool{}
	for range 7 {
		made[a.create("shop", key, "sessions")] = true
	}
	a.create("shop", key, "clients")
	seen, cursor := map[string]bool{}, ""
	for pages := 0; ; pages++ {
		var page struct {
			Scopes []struct{ CFID string }
			Next   string
		}
		r := a.do("GET", "/api/v1/apps/shop/sessions?limit=3&cursor="+cursor, key, "")
		mustStatus(t, r, http.StatusOK)
		if err := json.Unmarshal(r.body, &page); err != nil || len(page.Scopes) > 3 || pages > 5 {
			t.Fatalf("page %d: %s (%v)", pages, r.body, err)
		}
		for _, s := range page.Scopes {
			if seen[s.CFID] || !made[s.CFID] {
				t.Fatalf("listed %s twice or from another app or kind", s.CFID)
			}
			seen[s.CFID] = true
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(seen) != 7 {
		t.Fatalf("listed %d sessions, want 7", len(seen))
	}
	if r := a.do("GET", "/api/v1/apps/shop/sessions/count", key, ""); string(r.body) != `{"count":7,"exact":true}`+"\n" {
		t.Fatalf("count: %d %s", r.status, r.body)
	}
	for _, q := range []string{"limit=0", "limit=x", "limit=501"} {
		mustStatus(t, a.do("GET", "/api/v1/apps/shop/sessions?"+q, key, ""), http.StatusBadRequest)
	}
	mustStatus(t, a.do("DELETE", "/api/v1/apps/shop/sessions", key, ""), http.StatusBadRequest)
	mustStatus(t, a.do("GET", "/api/v1/apps/shop/sessions/count", otherKey, ""), http.StatusForbidden)
	r := a.do("DELETE", "/api/v1/apps/shop/sessions?all=true", key, "")
	if mustStatus(t, r, http.StatusOK); string(r.body) != `{"deleted":7}`+"\n" {
		t.Fatalf("clear: %s", r.body)
	}
	for app, k := range map[string]string{"shop": key, "shop2": otherKey} {
		want := map[string]int{"shop": 0, "shop2": 1}[app]
		r := a.do("GET", "/api/v1/apps/"+app+"/sessions/count", k, "")
		if n := int(r.json(t)["count"].(float64)); n != want {
			t.Errorf("%s has %d sessions after shop's clear, want %d", app, n, want)
		}
	}
	if r := a.do("GET", "/api/v1/apps/shop/clients/count", key, ""); r.json(t)["count"] != float64(1) {
		t.Errorf("clearing sessions touched the client scopes: %s", r.body)
	}
}
