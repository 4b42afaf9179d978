package web_test

import (
	"net/http"
	"testing"
	"time"
)

func TestAPI_ExpiredScopesAreNeverReturned(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			api := newTestAPI(t)
			settings := map[string]string{"sessionTimeout": "1m", "clientTimeout": "2m"}
			for k, val := range v.settings {
				settings[k] = val
			}
			key := api.app("shop", settings)
			session := api.create("shop", key, "sessions")
			client := api.create("shop", key, "clients")
			s := "/api/v1/apps/shop/sessions/" + session
			c := "/api/v1/apps/shop/clients/" + client

			// A load is a visit: loading every 50s keeps a 1m session alive.
			for i := 0; i < 3; i++ {
				api.clock.Advance(50 * time.Second)
				mustStatus(t, api.do("GET", s, key, ""), http.StatusOK)
			}
			// A save is a visit too.
			api.clock.Advance(50 * time.Second)
			mustStatus(t, api.do("PATCH", s, key, `{"set":{"a":1}}`), http.StatusOK)
			api.clock.Advance(59 * time.Second)
			mustStatus(t, api.do("GET", s, key, ""), http.StatusOK)

			// Idle past the timeout, it is gone for every operation.
			api.clock.Advance(61 * time.Second)
			mustStatus(t, api.do("GET", s, key, ""), http.StatusNotFound)
			mustStatus(t, api.do("PUT", s, key, `{"data":{"b":2}}`), http.StatusNotFound)
			mustStatus(t, api.do("PATCH", s, key, `{"set":{"b":2}}`), http.StatusNotFound)
			mustStatus(t, api.do("POST", s+"/touch", key, ""), http.StatusNotFound)

			// The client scope had 2m: loaded 270s ago, so it expired too.
			mustStatus(t, api.do("GET", c, key, ""), http.StatusNotFound)

			// The cleaner deletes what expired from the storages.
			if _, err := api.engine.Sweep(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := api.engine.Clean(t.Context()); err != nil {
				t.Fatal(err)
			}
			mustStatus(t, api.do("GET", s, key, ""), http.StatusNotFound)
		})
	}
}

func TestAPI_ClientScopeCountsHits(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", nil)
	cfid := api.create("shop", key, "clients")
	var r response
	for i := 0; i < 3; i++ {
		r = api.do("GET", "/api/v1/apps/shop/clients/"+cfid, key, "")
	}
	if r.json(t)["hitcount"] != float64(4) {
		t.Fatalf("hitcount %v after create and 3 loads, want 4", r.json(t)["hitcount"])
	}
	if r.json(t)["storage"] != "file" {
		t.Fatalf("the client scope's default storage is %v, want file", r.json(t)["storage"])
	}
}
