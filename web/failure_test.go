package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// When a storage fails, the API answers 503 with Retry-After and a message
// naming the storage, and never hands out an empty scope.
func TestAPI_StorageFailureIs503(t *testing.T) {
	for _, cluster := range []string{"true", "false"} {
		t.Run("cluster="+cluster, func(t *testing.T) {
			api := newTestAPI(t)
			key := api.app("shop", map[string]string{"sessionStorage": "file", "sessionCluster": cluster})
			cfid := api.create("shop", key, "sessions")
			s := "/api/v1/apps/shop/sessions/" + cfid
			other := api.create("shop", key, "sessions")

			// Break the file storage underneath the engine.
			if err := api.storages.Open()["file"].Close(); err != nil {
				t.Fatal(err)
			}
			checks := []struct{ method, path, body string }{
				{"POST", "/api/v1/apps/shop/sessions", ""},
				{"PUT", s, `{"data":{"x":1}}`},
				{"PATCH", s, `{"set":{"x":1}}`},
				{"DELETE", s, ""},
				{"POST", s + "/touch", ""},
			}
			if cluster == "true" {
				// With cluster = false the primary copy is in memory: loads go on.
				checks = append(checks, struct{ method, path, body string }{"GET", s, ""})
			} else {
				// A scope this instance never held must come from the storage.
				api.engine.IdleTime = 0
				_, _ = api.engine.Sweep(t.Context())
				checks = append(checks, struct{ method, path, body string }{"GET", "/api/v1/apps/shop/sessions/" + other, ""})
			}
			for _, c := range checks {
				r := api.do(c.method, c.path, key, c.body)
				mustStatus(t, r, http.StatusServiceUnavailable)
				if r.errorCode(t) != "unavailable" || r.header.Get("Retry-After") == "" {
					t.Fatalf("%s %s: code %s, Retry-After %q", c.method, c.path, r.errorCode(t), r.header.Get("Retry-After"))
				}
				if !strings.Contains(string(r.body), `storage \"file\"`) {
					t.Fatalf("the message does not name the storage: %s", r.body)
				}
			}
			r := api.do("GET", "/readyz", "", "")
			mustStatus(t, r, http.StatusServiceUnavailable)
			if !strings.Contains(string(r.body), `"storage file"`) {
				t.Fatalf("readyz does not name the failing storage: %s", r.body)
			}
		})
	}
}

func TestAPI_Health(t *testing.T) {
	api := newTestAPI(t)
	mustStatus(t, api.do("GET", "/healthz", "", ""), http.StatusOK)
	r := api.do("GET", "/readyz", "", "")
	mustStatus(t, r, http.StatusOK)
	if r.json(t)["ready"] != true {
		t.Fatalf("readyz: %s", r.body)
	}
}
