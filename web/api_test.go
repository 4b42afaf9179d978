package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// variants are the storage setups every API case runs on.
var variants = []struct {
	name     string
	settings map[string]string
}{
	{"memory", map[string]string{"sessionStorage": "memory", "clientStorage": "memory"}},
	{"file-cluster", map[string]string{"sessionStorage": "file", "clientStorage": "file", "sessionCluster": "true", "clientCluster": "true"}},
	{"file-local", map[string]string{"sessionStorage": "file", "clientStorage": "file", "sessionCluster": "false", "clientCluster": "false"}},
}

func TestAPI_Lifecycle(t *testing.T) {
	for _, v := range variants {
		for _, kind := range []string{"sessions", "clients"} {
			t.Run(v.name+"/"+kind, func(t *testing.T) {
				api := newTestAPI(t)
				key := api.app("shop", v.settings)
				base := "/api/v1/apps/shop/" + kind

				r := api.do("POST", base, key, `{"data":{"cart":[1,2]}}`)
				mustStatus(t, r, http.StatusCreated)
				sc := r.json(t)
				cfid := sc["cfid"].(string)
				if r.header.Get("ETag") != `"1"` || sc["version"].(float64) != 1 {
					t.Fatalf("new scope: ETag %q, version %v", r.header.Get("ETag"), sc["version"])
				}
				if sc["urltoken"] != "CFID="+cfid+"&CFTOKEN=0" {
					t.Errorf("urltoken %v", sc["urltoken"])
				}
				wantStorage := strings.SplitN(v.name, "-", 2)[0]
				if sc["storage"] != wantStorage {
					t.Errorf("storage %v, want %s", sc["storage"], wantStorage)
				}
				if kind == "sessions" && sc["sessionid"] != "shop_"+cfid+"_0" {
					t.Errorf("sessionid %v", sc["sessionid"])
				}
				if kind == "clients" && sc["hitcount"] != float64(1) {
					t.Errorf("hitcount %v, want 1", sc["hitcount"])
				}

				r = api.do("GET", base+"/"+cfid, key, "")
				mustStatus(t, r, http.StatusOK)
				if fmt.Sprint(r.data(t)["cart"]) != "[1 2]" {
					t.Fatalf("loaded data %s", r.body)
				}
				if kind == "clients" && r.json(t)["hitcount"] != float64(2) {
					t.Errorf("hitcount after a load %v, want 2", r.json(t)["hitcount"])
				}

				// PUT without If-Match replaces the data and bumps the version.
				r = api.do("PUT", base+"/"+cfid, key, `{"data":{"user":"ann"}}`)
				mustStatus(t, r, http.StatusOK)
				if r.header.Get("ETag") != `"2"` || r.data(t)["user"] != "ann" || r.data(t)["cart"] != nil {
					t.Fatalf("after PUT: ETag %q body %s", r.header.Get("ETag"), r.body)
				}
				// A stale If-Match is refused and changes nothing.
				r = api.do("PUT", base+"/"+cfid, key, `{"data":{"user":"bob"}}`, "If-Match", `"1"`)
				mustStatus(t, r, http.StatusPreconditionFailed)
				if r.errorCode(t) != "precondition_failed" {
					t.Fatalf("code %s", r.errorCode(t))
				}
				r = api.do("GET", base+"/"+cfid, key, "")
				if r.data(t)["user"] != "ann" || r.header.Get("ETag") != `"2"` {
					t.Fatalf("stale PUT changed the scope: %s", r.body)
				}
				// The current version, quoted or bare, is accepted.
				r = api.do("PUT", base+"/"+cfid, key, `{"data":{"user":"cy"}}`, "If-Match", `"2"`)
				mustStatus(t, r, http.StatusOK)
				r = api.do("PUT", base+"/"+cfid, key, `{"data":{"user":"dee","n":5,"gone":true}}`, "If-Match", `3`)
				mustStatus(t, r, http.StatusOK)

				r = api.do("PATCH", base+"/"+cfid, key, `{"set":{"lang":"de"},"unset":["gone"],"incr":{"n":2,"visits":1}}`)
				mustStatus(t, r, http.StatusOK)
				d := r.data(t)
				if d["lang"] != "de" || d["n"] != float64(7) || d["visits"] != float64(1) || d["user"] != "dee" {
					t.Fatalf("patched data %s", r.body)
				}
				if _, ok := d["gone"]; ok {
					t.Fatalf("unset key survived: %s", r.body)
				}
				if r.header.Get("ETag") != `"5"` {
					t.Fatalf("ETag after patch %q", r.header.Get("ETag"))
				}
				r = api.do("PATCH", base+"/"+cfid, key, `{"set":{"x":1}}`, "If-Match", `"4"`)
				mustStatus(t, r, http.StatusPreconditionFailed)

				// touch extends the expiry without a new version.
				before := api.do("GET", base+"/"+cfid, key, "").json(t)["expires"].(string)
				api.clock.Advance(10 * time.Minute)
				mustStatus(t, api.do("POST", base+"/"+cfid+"/touch", key, ""), http.StatusNoContent)
				after := api.do("GET", base+"/"+cfid, key, "")
				if after.json(t)["expires"].(string) <= before || after.header.Get("ETag") != `"5"` {
					t.Fatalf("touch: expires %s -> %s, ETag %s", before, after.json(t)["expires"], after.header.Get("ETag"))
				}

				mustStatus(t, api.do("DELETE", base+"/"+cfid, key, ""), http.StatusNoContent)
				for _, m := range []string{"GET", "DELETE"} {
					r = api.do(m, base+"/"+cfid, key, "")
					mustStatus(t, r, http.StatusNotFound)
				}
				mustStatus(t, api.do("PUT", base+"/"+cfid, key, `{"data":{}}`), http.StatusNotFound)
				mustStatus(t, api.do("PATCH", base+"/"+cfid, key, `{"set":{"a":1}}`), http.StatusNotFound)
				mustStatus(t, api.do("POST", base+"/"+cfid+"/touch", key, ""), http.StatusNotFound)
			})
		}
	}
}

func TestAPI_ScopesAreIsolated(t *testing.T) {
	api := newTestAPI(t)
	shop := api.app("shop", nil)
	blog := api.app("blog", nil)
	cfid := api.create("shop", shop, "sessions")
	// The same cfid under the client scope or another app is another scope.
	mustStatus(t, api.do("GET", "/api/v1/apps/shop/clients/"+cfid, shop, ""), http.StatusNotFound)
	mustStatus(t, api.do("GET", "/api/v1/apps/blog/sessions/"+cfid, blog, ""), http.StatusNotFound)
	// A key reaches only its own app.
	r := api.do("GET", "/api/v1/apps/shop/sessions/"+cfid, blog, "")
	mustStatus(t, r, http.StatusForbidden)
	if r.errorCode(t) != "forbidden" {
		t.Fatal(r.errorCode(t))
	}
	// Upper-case hex names the same scope.
	mustStatus(t, api.do("GET", "/api/v1/apps/shop/sessions/"+strings.ToUpper(cfid), shop, ""), http.StatusOK)
}
