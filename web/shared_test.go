package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

const appScopePath = "/api/v1/apps/shop/application"

// The application scope: one per app, started empty on first use, with
// versions, If-Match and PATCH as a session has them.
func TestShared_ApplicationScope(t *testing.T) {
	for _, storage := range []string{"memory", "file"} {
		t.Run(storage, func(t *testing.T) {
			api := newTestAPI(t)
			key := api.app("shop", map[string]string{scopes.ApplicationStorage: storage})
			blogKey := api.app("blog", map[string]string{scopes.ApplicationStorage: storage})

			r := api.do("GET", appScopePath, key, "")
			mustStatus(t, r, http.StatusOK)
			got := r.json(t)
			if got["applicationname"] != "shop" || got["version"] != float64(1) || got["storage"] != storage || len(r.data(t)) != 0 {
				t.Fatalf("a new application scope: %s", r.body)
			}
			if _, has := got["cfid"]; has {
				t.Fatalf("the application scope shows a cfid: %s", r.body)
			}
			if r.header.Get("ETag") != `"1"` {
				t.Fatalf("ETag %q, want \"1\"", r.header.Get("ETag"))
			}
			// Loading again neither writes nor bumps the version.
			mustStatus(t, api.do("GET", appScopePath, key, ""), http.StatusOK)

			r = api.do("PUT", appScopePath, key, `{"data":{"flags":{"newCheckout":true}}}`, "If-Match", `"1"`)
			mustStatus(t, r, http.StatusOK)
			if r.json(t)["version"] != float64(2) {
				t.Fatalf("after a PUT: %s", r.body)
			}
			mustStatus(t, api.do("PUT", appScopePath, key, `{"data":{}}`, "If-Match", `"1"`), http.StatusPreconditionFailed)
			r = api.do("PATCH", appScopePath, key, `{"incr":{"ordersToday":2}}`)
			mustStatus(t, r, http.StatusOK)
			d := r.data(t)
			if d["ordersToday"] != float64(2) || d["flags"] == nil || r.json(t)["version"] != float64(3) {
				t.Fatalf("after a PATCH: %s", r.body)
			}

			// Another app's application scope is its own, and a key reaches
			// only its app's.
			r = api.do("GET", "/api/v1/apps/blog/application", blogKey, "")
			mustStatus(t, r, http.StatusOK)
			if len(r.data(t)) != 0 || r.json(t)["applicationname"] != "blog" {
				t.Fatalf("blog's application scope: %s", r.body)
			}
			mustStatus(t, api.do("GET", "/api/v1/apps/blog/application", key, ""), http.StatusForbidden)
		})
	}
}

// A write of a shared scope that does not exist yet starts it at version 1.
func TestShared_WriteStartsTheScope(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", nil)
	r := api.do("PATCH", appScopePath, key, `{"incr":{"n":1}}`)
	mustStatus(t, r, http.StatusOK)
	if r.json(t)["version"] != float64(1) || r.data(t)["n"] != float64(1) {
		t.Fatalf("a PATCH of no application scope: %s", r.body)
	}
	// If-Match 1 on a scope that does not exist yet is not met.
	blog := api.app("blog", nil)
	mustStatus(t, api.do("PUT", "/api/v1/apps/blog/application", blog, `{"data":{}}`, "If-Match", `"1"`), http.StatusPreconditionFailed)
	r = api.do("PUT", "/api/v1/apps/blog/application", blog, `{"data":{"x":1}}`)
	mustStatus(t, r, http.StatusOK)
	if r.json(t)["version"] != float64(1) {
		t.Fatalf("a PUT of no application scope: %s", r.body)
	}
}

// Bad input is refused with a 4xx and changes nothing.
func TestShared_BadInput(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", nil)
	mustStatus(t, api.do("PUT", appScopePath, key, `{"data":{"n":1}}`), http.StatusOK)
	for _, c := range []struct {
		method, body string
		headers      []string
		status       int
	}{
		{"PUT", ``, nil, http.StatusBadRequest},
		{"PUT", `{"n":2}`, nil, http.StatusBadRequest},
		{"PUT", `{"data":[1]}`, nil, http.StatusBadRequest},
		{"PATCH", `{"incr":{"n":"x"}}`, nil, http.StatusBadRequest},
		{"PATCH", `{"set":`, nil, http.StatusBadRequest},
		{"PUT", `{"data":{"n":2}}`, []string{"If-Fence", "-3"}, http.StatusBadRequest},
		{"PUT", `{"data":{"n":2}}`, []string{"If-Fence", "seven"}, http.StatusBadRequest},
		{"PATCH", `{"set":{"n":2}}`, []string{"If-Match", "soon"}, http.StatusBadRequest},
		{"DELETE", ``, nil, http.StatusMethodNotAllowed},
	} {
		r := api.do(c.method, appScopePath, key, c.body, c.headers...)
		if r.status != c.status {
			t.Errorf("%s %s %v: %d %s, want %d", c.method, c.body, c.headers, r.status, r.body, c.status)
		}
	}
	r := api.do("GET", appScopePath, key, "")
	if r.data(t)["n"] != float64(1) || r.json(t)["version"] != float64(1) {
		t.Fatalf("bad requests changed the scope: %s", r.body)
	}
}

// The server scope: read with any app's key, written only with the key of
// an app an administrator allowed.
func TestShared_ServerScope(t *testing.T) {
	api := newTestAPI(t)
	shop := api.app("shop", map[string]string{scopes.ServerScopeWrite: "true"})
	blog := api.app("blog", nil)
	const path = "/api/v1/server"

	r := api.do("PATCH", path, shop, `{"set":{"maintenance":false}}`)
	mustStatus(t, r, http.StatusOK)
	if _, has := r.json(t)["applicationname"]; has || r.json(t)["storage"] != "memory" {
		t.Fatalf("the server scope: %s", r.body)
	}
	r = api.do("PATCH", path, blog, `{"set":{"maintenance":true}}`)
	mustStatus(t, r, http.StatusForbidden)
	if !strings.Contains(string(r.body), "server-scope-write") {
		t.Fatalf("the 403 does not say how to allow it: %s", r.body)
	}
	mustStatus(t, api.do("PUT", path, blog, `{"data":{}}`), http.StatusForbidden)
	for _, key := range []string{shop, blog} {
		r = api.do("GET", path, key, "")
		mustStatus(t, r, http.StatusOK)
		if r.data(t)["maintenance"] != false || r.json(t)["version"] != float64(1) {
			t.Fatalf("the server scope as read: %s", r.body)
		}
	}
	mustStatus(t, api.do("GET", path, "not-a-key", ""), http.StatusUnauthorized)
	mustStatus(t, api.do("GET", path, "", ""), http.StatusUnauthorized)

	// Where it lives is a server default, never one app's setting.
	if _, err := api.dir.SetAppSettings(context.Background(), "shop", map[string]string{scopes.ServerStorage: "file"}); scopes.ErrorCode(err) != scopes.EInvalidSettings {
		t.Fatalf("serverStorage set for one app: %v", err)
	}
	if _, err := api.dir.SetServerSettings(context.Background(), map[string]string{scopes.ServerStorage: "file"}); err != nil {
		t.Fatal(err)
	}
	r = api.do("GET", path, blog, "")
	if r.json(t)["storage"] != "file" || len(r.data(t)) != 0 {
		t.Fatalf("the server scope after it moved to file: %s", r.body)
	}
}

// A write under a lock's fence is refused once the scope was written under
// a greater one, on the shared scopes and on sessions alike.
func TestShared_Fence(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", map[string]string{scopes.ApplicationStorage: "file", scopes.SessionStorage: "file"})
	cfid := api.create("shop", key, "sessions")
	for _, path := range []string{appScopePath, "/api/v1/apps/shop/sessions/" + cfid} {
		r := api.do("PUT", path, key, `{"data":{"by":5}}`, "If-Fence", "5")
		mustStatus(t, r, http.StatusOK)
		if r.json(t)["fence"] != float64(5) {
			t.Fatalf("%s: fence not kept: %s", path, r.body)
		}
		r = api.do("PATCH", path, key, `{"set":{"by":3}}`, "If-Fence", "3")
		mustStatus(t, r, http.StatusPreconditionFailed)
		if !strings.Contains(string(r.body), "fence 5") {
			t.Fatalf("%s: the 412 does not name the fence: %s", path, r.body)
		}
		// A write without a fence goes ahead and keeps the greatest.
		r = api.do("PATCH", path, key, `{"set":{"plain":true}}`)
		mustStatus(t, r, http.StatusOK)
		if r.json(t)["fence"] != float64(5) || r.data(t)["by"] != float64(5) {
			t.Fatalf("%s: after an unfenced write: %s", path, r.body)
		}
		mustStatus(t, api.do("PUT", path, key, `{"data":{"by":3}}`, "If-Fence", "3"), http.StatusPreconditionFailed)
		r = api.do("PUT", path, key, `{"data":{"by":6}}`, "If-Fence", "6")
		mustStatus(t, r, http.StatusOK)
		if r.json(t)["fence"] != float64(6) {
			t.Fatalf("%s: fence 6 not kept: %s", path, r.body)
		}
		r = api.do("GET", path, key, "")
		if r.data(t)["by"] != float64(6) {
			t.Fatalf("%s: a refused write changed the scope: %s", path, r.body)
		}
	}
	// A session created under a fence keeps it.
	fresh := "/api/v1/apps/shop/sessions/" + scopes.NewCFID()
	r := api.do("PUT", fresh, key, `{"data":{"by":9}}`, "If-None-Match", "*", "If-Fence", "9")
	mustStatus(t, r, http.StatusCreated)
	if r.json(t)["fence"] != float64(9) {
		t.Fatalf("a session created under fence 9: %s", r.body)
	}
	mustStatus(t, api.do("PATCH", fresh, key, `{"set":{"by":8}}`, "If-Fence", "8"), http.StatusPreconditionFailed)
}

// An application scope left idle past applicationTimeout ends, and the
// app's webhook is told once.
func TestShared_ApplicationExpiry(t *testing.T) {
	for _, storage := range []string{"memory", "file"} {
		t.Run(storage, func(t *testing.T) {
			api := newTestAPI(t)
			const hook = "https://hooks.example/end"
			key := api.app("shop", map[string]string{scopes.ApplicationStorage: storage, scopes.ApplicationTimeout: "10m",
				scopes.AllowedWebhooks: hook, scopes.ScopeEndWebhook: hook})
			api.engine.Ends = scopes.NewNotifier(api.config, nil, api.dir)
			mustStatus(t, api.do("PATCH", appScopePath, key, `{"set":{"a":1}}`), http.StatusOK)

			api.clock.Advance(9 * time.Minute)
			clean(t, api)
			r := api.do("GET", appScopePath, key, "")
			if r.data(t)["a"] != float64(1) {
				t.Fatalf("ended before its timeout: %s", r.body)
			}
			api.clock.Advance(11 * time.Minute)
			clean(t, api)
			clean(t, api)
			ns, err := api.config.DueNotifications(context.Background(), time.Now().Add(time.Hour), 100, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) != 1 || ns[0].Key != scopes.ApplicationKey("shop") || ns[0].Reason != scopes.ReasonExpired {
				t.Fatalf("notifications %+v, want the application scope's end once", ns)
			}
			// The next use starts it afresh.
			r = api.do("GET", appScopePath, key, "")
			if len(r.data(t)) != 0 || r.json(t)["version"] != float64(1) {
				t.Fatalf("after it ended: %s", r.body)
			}
		})
	}
}

// clean runs the cleaners of memory and of the other storages.
func clean(t *testing.T, api *testAPI) {
	t.Helper()
	if _, err := api.engine.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := api.engine.Clean(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// A deleted app's application scope goes with it: an app created again
// under its name starts afresh.
func TestShared_AppDeleteEndsApplicationScope(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", map[string]string{scopes.ApplicationStorage: "file"})
	mustStatus(t, api.do("PATCH", appScopePath, key, `{"set":{"old":true}}`), http.StatusOK)
	if _, err := api.dir.DeleteAppAndScopes(context.Background(), api.engine, "shop"); err != nil {
		t.Fatal(err)
	}
	key = api.app("shop", map[string]string{scopes.ApplicationStorage: "file"})
	r := api.do("GET", appScopePath, key, "")
	mustStatus(t, r, http.StatusOK)
	if len(r.data(t)) != 0 || r.json(t)["version"] != float64(1) {
		t.Fatalf("the application scope of a deleted app came back: %s", r.body)
	}
}

// An app declares its application scope's settings as it declares the
// others; the server scope's are an administrator's.
func TestShared_DeclaredSettings(t *testing.T) {
	api := newTestAPI(t)
	key := api.app("shop", nil)
	r := api.do("PUT", "/api/v1/apps/shop/settings", key, `{"applicationStorage":"file","applicationTimeout":"2h"}`)
	mustStatus(t, r, http.StatusOK)
	r = api.do("GET", "/api/v1/apps/shop/settings", key, "")
	got := r.json(t)
	settings, storages := got["settings"].(map[string]any), got["storages"].(map[string]any)
	if settings["applicationStorage"] != "file" || settings["applicationTimeout"] != "2h" || storages["application"] == nil {
		t.Fatalf("settings: %s", r.body)
	}
	r = api.do("GET", appScopePath, key, "")
	if r.json(t)["storage"] != "file" {
		t.Fatalf("the application scope after the declaration: %s", r.body)
	}
	mustStatus(t, api.do("PUT", "/api/v1/apps/shop/settings", key, `{"serverScopeWrite":true}`), http.StatusForbidden)
	mustStatus(t, api.do("PUT", "/api/v1/apps/shop/settings", key, `{"serverStorage":"file"}`), http.StatusUnprocessableEntity)
	mustStatus(t, api.do("PATCH", "/api/v1/server", key, `{"set":{"a":1}}`), http.StatusForbidden)
}
