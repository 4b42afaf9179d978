package web_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestAPI_BadRequestsTouchNoStorage(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", map[string]string{"sessionStorage": "file", "sessionCluster": "true"})
	cfid := api.create("shop", key, "sessions")
	other := api.app("blog", nil)
	big := `{"data":{"x":"` + strings.Repeat("a", 5000) + `"}}`
	huge := `{"data":{"x":"` + strings.Repeat("a", 100_000) + `"}}`
	s := "/api/v1/apps/shop/sessions/"

	cases := []struct {
		name, method, path, key, body string
		headers                       []string
		status                        int
		code                          string
	}{
		{"no key", "GET", s + cfid, "", "", nil, 401, "unauthorized"},
		{"unknown key", "GET", s + cfid, "ssk_nope", "", nil, 401, "unauthorized"},
		{"other app's key", "GET", s + cfid, other, "", nil, 403, "forbidden"},
		{"cfid not a UUID", "GET", s + "123", key, "", nil, 400, "invalid"},
		{"cfid with a path trick", "GET", s + "..%2F..%2Fetc", key, "", nil, 400, "invalid"},
		{"cfid almost a UUID", "PUT", s + strings.Replace(cfid, "-", "x", 1), key, `{"data":{}}`, nil, 400, "invalid"},
		{"malformed JSON", "PUT", s + cfid, key, `{"data":`, nil, 400, "invalid"},
		{"data an array", "PUT", s + cfid, key, `{"data":[1]}`, nil, 400, "invalid"},
		{"data a string", "PUT", s + cfid, key, `{"data":"x"}`, nil, 400, "invalid"},
		{"data null", "PUT", s + cfid, key, `{"data":null}`, nil, 400, "invalid"},
		{"data missing", "PUT", s + cfid, key, `{}`, nil, 400, "invalid"},
		{"unknown field", "PUT", s + cfid, key, `{"data":{},"version":3}`, nil, 400, "invalid"},
		{"empty body", "PUT", s + cfid, key, ``, nil, 400, "invalid"},
		{"two JSON values", "PUT", s + cfid, key, `{"data":{}} {}`, nil, 400, "invalid"},
		{"bad If-Match", "PUT", s + cfid, key, `{"data":{}}`, []string{"If-Match", "yesterday"}, 400, "invalid"},
		{"body over the limit", "PUT", s + cfid, key, huge, nil, 413, "too_large"},
		{"create with data over the limit", "POST", "/api/v1/apps/shop/sessions", key, big, nil, 413, "too_large"},
		{"create with malformed JSON", "POST", "/api/v1/apps/shop/sessions", key, `{"data":{`, nil, 400, "invalid"},
		{"create with data an array", "POST", "/api/v1/apps/shop/sessions", key, `{"data":[]}`, nil, 400, "invalid"},
		{"empty patch", "PATCH", s + cfid, key, `{}`, nil, 400, "invalid"},
		{"patch naming a key twice", "PATCH", s + cfid, key, `{"set":{"a":1},"unset":["a"]}`, nil, 400, "invalid"},
		{"patch incr by a string", "PATCH", s + cfid, key, `{"incr":{"a":"x"}}`, nil, 400, "invalid"},
		{"patch with an unknown op", "PATCH", s + cfid, key, `{"add":{"a":1}}`, nil, 400, "invalid"},
		{"unknown setting", "PUT", "/api/v1/apps/shop/settings", key, `{"sessionStorge":"file"}`, nil, 400, "invalid"},
		{"settings not an object", "PUT", "/api/v1/apps/shop/settings", key, `[1]`, nil, 400, "invalid"},
		{"unknown storage", "PUT", "/api/v1/apps/shop/settings", key, `{"sessionStorage":"redis"}`, nil, 422, "invalid_settings"},
		{"j2ee with a storage", "PUT", "/api/v1/apps/shop/settings", key, `{"sessionType":"j2ee","sessionStorage":"file"}`, nil, 422, "invalid_settings"},
		{"bad timeout", "PUT", "/api/v1/apps/shop/settings", key, `{"sessionTimeout":"soon"}`, nil, 422, "invalid_settings"},
		{"timeout zero", "PUT", "/api/v1/apps/shop/settings", key, `{"clientTimeout":0}`, nil, 422, "invalid_settings"},
		{"bad boolean", "PUT", "/api/v1/apps/shop/settings", key, `{"sessionCluster":"maybe"}`, nil, 422, "invalid_settings"},
		{"unknown endpoint", "GET", "/api/v1/apps/shop/carts", key, "", nil, 404, "not_found"},
		{"wrong method", "POST", s + cfid, key, "", nil, 405, "method_not_allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := api.storages.lookups.Load()
			r := api.do(c.method, c.path, c.key, c.body, c.headers...)
			mustStatus(t, r, c.status)
			if got := r.errorCode(t); got != c.code {
				t.Fatalf("code %q, want %q: %s", got, c.code, r.body)
			}
			if r.header.Get("Content-Type") != "application/json" && !strings.HasPrefix(r.header.Get("Content-Type"), "application/json;") {
				t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
			}
			if n := api.storages.lookups.Load() - before; n != 0 && c.status != 413 {
				t.Errorf("a refused request touched the storage %d times", n)
			}
		})
	}

	// None of it changed the scope or the settings.
	r := api.do("GET", s+cfid, key, "")
	mustStatus(t, r, http.StatusOK)
	if r.header.Get("ETag") != `"1"` || len(r.data(t)) != 0 {
		t.Fatalf("scope changed by refused requests: %s", r.body)
	}
	r = api.do("GET", "/api/v1/apps/shop/settings", key, "")
	if st := r.json(t)["settings"].(map[string]any); st["sessionStorage"] != "file" || st["sessionType"] != "cfml" {
		t.Fatalf("settings changed by refused requests: %s", r.body)
	}
}

func TestAPI_SettingsErrorListsValidStorages(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", nil)
	r := api.do("PUT", "/api/v1/apps/shop/settings", key, `{"clientStorage":"couch"}`)
	mustStatus(t, r, http.StatusUnprocessableEntity)
	msg := r.json(t)["error"].(map[string]any)["message"].(string)
	if !strings.Contains(msg, "memory, file") || !strings.Contains(msg, `"couch"`) {
		t.Fatalf("message does not list the valid storages: %s", msg)
	}
}

func TestAPI_PatchPastTheLimitChangesNothing(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", map[string]string{"sessionStorage": "file", "sessionCluster": "true"})
	cfid := api.create("shop", key, "sessions")
	s := "/api/v1/apps/shop/sessions/" + cfid
	chunk := strings.Repeat("b", 3000)
	mustStatus(t, api.do("PATCH", s, key, `{"set":{"a":"`+chunk+`"}}`), http.StatusOK)
	r := api.do("PATCH", s, key, `{"set":{"b":"`+chunk+`"}}`)
	mustStatus(t, r, http.StatusRequestEntityTooLarge)
	r = api.do("GET", s, key, "")
	if _, ok := r.data(t)["b"]; ok || r.header.Get("ETag") != `"2"` {
		t.Fatalf("a refused patch changed the scope: ETag %s", r.header.Get("ETag"))
	}
}

func TestAPI_IncrOnANonNumberConflicts(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", nil)
	cfid := api.create("shop", key, "sessions")
	s := "/api/v1/apps/shop/sessions/" + cfid
	mustStatus(t, api.do("PATCH", s, key, `{"set":{"name":"ann"}}`), http.StatusOK)
	r := api.do("PATCH", s, key, `{"incr":{"name":1},"set":{"other":2}}`)
	mustStatus(t, r, http.StatusConflict)
	r = api.do("GET", s, key, "")
	if r.data(t)["other"] != nil || r.data(t)["name"] != "ann" {
		t.Fatalf("a refused patch was half applied: %s", r.body)
	}
}

func TestAPI_ManagementOff(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", map[string]string{"clientManagement": "false"})
	r := api.do("POST", "/api/v1/apps/shop/clients", key, "")
	mustStatus(t, r, http.StatusForbidden)
	if !strings.Contains(string(r.body), "clientManagement") {
		t.Fatalf("message does not say what to turn on: %s", r.body)
	}
	mustStatus(t, api.do("POST", "/api/v1/apps/shop/sessions", key, ""), http.StatusCreated)
}
