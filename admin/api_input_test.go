package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// apiDo sends method to the admin API with the console's cookies and body
// as contentType ("" sends none); it decodes the answer into v when not
// nil and returns the status and the error's code and message.
func (tc *testConsole) apiDo(t *testing.T, method, path, contentType, body string, v any) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(method, tc.srv.URL+path, bytes.NewBufferString(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := tc.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(b, &e)
	if v != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return res.StatusCode, e.Error.Code, e.Error.Message
}

// The admin API's changes take JSON only, refuse unknown fields and bad
// values with a 4xx that says what to send, and change nothing then.
func TestAdminAPIInputIsChecked(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp2(t, "shop")
	const api = "/admin/api/v1"
	const js = "application/json"
	for _, c := range []struct {
		name, method, path, contentType, body string
		status                                int
		code, says                            string
	}{
		{"a form", "POST", "/apps", "application/x-www-form-urlencoded", "name=blog", 400, scopes.EInvalid, "Content-Type: application/json"},
		{"no content type", "POST", "/apps", "", `{"name":"blog"}`, 400, scopes.EInvalid, "Content-Type: application/json"},
		{"text/plain", "PATCH", "/apps/shop/settings", "text/plain", `{"sessionTimeout":"1h"}`, 400, scopes.EInvalid, "application/json"},
		{"bad JSON", "POST", "/apps", js, `{"name":`, 400, scopes.EInvalid, `{"name":"shop"}`},
		{"an unknown field", "POST", "/apps", js, `{"name":"blog","owner":"me"}`, 400, scopes.EInvalid, `unknown field "owner"`},
		{"a number for a name", "POST", "/apps", js, `{"name":42}`, 400, scopes.EInvalid, "field name must be a JSON string"},
		{"two objects", "POST", "/apps", js, `{"name":"blog"}{"name":"x"}`, 400, scopes.EInvalid, "more than one JSON value"},
		{"no name", "POST", "/apps", js, `{}`, 400, scopes.EInvalid, `app name "" is invalid`},
		{"a taken name", "POST", "/apps", js, `{"name":"SHOP"}`, 409, scopes.EConflict, "shop exists already"},
		{"an unknown app", "DELETE", "/apps/nope", "", "", 404, scopes.ENotFound, "nope"},
		{"settings of an unknown app", "GET", "/apps/nope/settings", "", "", 404, scopes.ENotFound, "nope"},
		{"no setting", "PATCH", "/apps/shop/settings", js, `{}`, 400, scopes.EInvalid, "at least one setting"},
		{"an unknown setting", "PATCH", "/apps/shop/settings", js, `{"sessionTimeOut2":"1h"}`, 400, scopes.EInvalid, "unknown setting"},
		{"a list for a setting", "PATCH", "/apps/shop/settings", js, `{"sessionTimeout":["1h"]}`, 400, scopes.EInvalid, "must be a string"},
		{"a bad timeout", "PATCH", "/apps/shop/settings", js, `{"sessionTimeout":"forever"}`, 422, scopes.EInvalidSettings, "sessionTimeout"},
		{"an unknown storage", "PATCH", "/scope/defaults", js, `{"sessionStorage":"nowhere"}`, 422, scopes.EInvalidSettings, "nowhere"},
		{"a key of an unknown app", "POST", "/apps/nope/keys", js, `{"label":"x"}`, 404, scopes.ENotFound, "nope"},
		{"a label on two lines", "POST", "/apps/shop/keys", js, `{"label":"a\nb"}`, 400, scopes.EInvalid, "one line"},
		{"a key id that is no number", "DELETE", "/apps/shop/keys/abc", "", "", 404, scopes.ENotFound, "abc"},
		{"an unknown key", "DELETE", "/apps/shop/keys/999", "", "", 404, scopes.ENotFound, "999"},
		{"force that is no boolean", "DELETE", "/apps/shop/keys/1?force=maybe", "", "", 400, scopes.EInvalid, "force=true"},
		{"the last key", "DELETE", "/apps/shop/keys/1", "", "", 409, scopes.EConflict, "?force=true"},
		{"rotate as a form", "POST", "/apps/shop/keys/rotate", "application/x-www-form-urlencoded", "", 400, scopes.EInvalid, "application/json"},
		{"locks of an unknown app", "GET", "/apps/nope/locks", "", "", 404, scopes.ENotFound, "nope"},
		{"a limit out of range", "GET", "/apps/shop/locks?limit=0", "", "", 400, scopes.EInvalid, "limit"},
		{"a lock not held", "DELETE", "/apps/shop/locks/counter", "", "", 404, scopes.ENotFound, "not held"},
		{"the application scope of an unknown app", "GET", "/apps/nope/application", "", "", 404, scopes.ENotFound, "nope"},
		{"a connection without a type", "POST", "/connections", js, `{"name":"c1"}`, 400, scopes.EInvalid, "type is required"},
		{"a connection of an unknown type", "POST", "/connections", js, `{"name":"c1","type":"oracle","no_verify":true}`, 400, scopes.EInvalid, "oracle"},
		{"a connection's params as a list", "POST", "/connections", js, `{"name":"c1","type":"ram","params":["x"]}`, 400, scopes.EInvalid, "params"},
		{"a connection as a form", "POST", "/connections", "multipart/form-data; boundary=x", "", 400, scopes.EInvalid, "application/json"},
		{"an unknown connection", "PATCH", "/connections/nope", js, `{"storage":true}`, 404, scopes.ENotFound, "nope"},
		{"an empty password", "PATCH", "/connections/nope", js, `{"password":""}`, 400, scopes.EInvalid, "clear_password"},
		{"a password and clear_password", "PATCH", "/connections/nope", js, `{"password":"x","clear_password":true}`, 400, scopes.EInvalid, "not both"},
		{"delete of an unknown connection", "DELETE", "/connections/nope", "", "", 404, scopes.ENotFound, "nope"},
		{"verify of an unknown connection", "POST", "/connections/nope/verify", js, "", 404, scopes.ENotFound, "nope"},
		{"an unknown endpoint", "GET", "/scope/nothing", "", "", 404, scopes.ENotFound, "/scope/defaults"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, code, msg := tc.apiDo(t, c.method, api+c.path, c.contentType, c.body, nil)
			if status != c.status || code != c.code || !strings.Contains(msg, c.says) {
				t.Errorf("%s %s: %d %s %q, want %d %s saying %q", c.method, c.path, status, code, msg, c.status, c.code, c.says)
			}
		})
	}
	// Nothing changed: one app, its one key, no connection, the defaults.
	ctx := context.Background()
	if apps, err := tc.dir.Apps(ctx); err != nil || len(apps) != 1 || apps[0].Keys != 1 || len(apps[0].Layer) != 0 {
		t.Errorf("apps after the refusals: %+v, %v", apps, err)
	}
	if conns, err := tc.mgr.Connections(ctx); err != nil || len(conns) != 0 {
		t.Errorf("connections after the refusals: %+v, %v", conns, err)
	}
	if eff, err := tc.dir.ServerSettings(ctx); err != nil || eff.Values[scopes.SessionStorage] != scopes.StorageMemory {
		t.Errorf("server defaults after the refusals: %v, %v", eff.Values, err)
	}
}

// What the admin API answers for a change is what the command line
// prints: the new key once, the effective settings, a connection without
// its password, and the checks of a connection that failed one.
func TestAdminAPIAnswers(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	const api = "/admin/api/v1"
	var key struct{ App, Key string }
	if status, _, msg := tc.apiDo(t, "POST", api+"/apps", "application/json; charset=utf-8", `{"name":"blog"}`, &key); status != http.StatusCreated ||
		key.App != "blog" || !strings.HasPrefix(key.Key, "ssk_") {
		t.Fatalf("create: %d %q %+v", status, msg, key)
	}
	if app, err := tc.dir.Authenticate(context.Background(), key.Key); err != nil || app != "blog" {
		t.Errorf("the key opens %q, %v", app, err)
	}
	if e := tc.lastAudit(t); e.Action != "app.create" || e.Actor != "admin:admin" {
		t.Errorf("create audited as %+v", e)
	}
	var set struct {
		App      string
		Settings []struct{ Name, Value, From string }
	}
	if status, _, msg := tc.apiDo(t, "PATCH", api+"/apps/BLOG/settings", "application/json", `{"sessionCluster":true,"sessionTimeout":"2h"}`, &set); status != http.StatusOK {
		t.Fatalf("settings: %d %s", status, msg)
	}
	for _, s := range set.Settings {
		if (s.Name == scopes.SessionCluster && (s.Value != "true" || s.From != scopes.FromAdmin)) || (s.Name == scopes.SessionTimeout && s.Value != "2h") {
			t.Errorf("setting %+v", s)
		}
	}
	if set.App != "blog" || tc.lastAudit(t).Action != "app.settings" {
		t.Errorf("settings of %q audited as %+v", set.App, tc.lastAudit(t))
	}

	var created struct {
		Connection struct {
			Name        string
			HasPassword bool `json:"has_password"`
		}
		Verified bool
	}
	if status, _, msg := tc.apiDo(t, "POST", api+"/connections", "application/json", `{"name":"r1","type":"redis","params":{"url":"redis://127.0.0.1:1/0"},"password":"s3cret","no_verify":true}`, &created); status != http.StatusCreated ||
		created.Connection.Name != "r1" || !created.Connection.HasPassword || created.Verified {
		t.Fatalf("connection create: %d %q %+v", status, msg, created)
	}
	var failed struct {
		Error  struct{ Code, Message string }
		Checks []struct {
			Name    string
			OK      bool
			Message string
		}
	}
	req, _ := http.NewRequest("POST", tc.srv.URL+api+"/connections", strings.NewReader(`{"name":"dead","type":"redis","params":{"url":"redis://127.0.0.1:1/0","timeout":"1s"}}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := tc.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&failed); err != nil || res.StatusCode != http.StatusUnprocessableEntity ||
		failed.Error.Code != "check_failed" || len(failed.Checks) == 0 || failed.Checks[0].OK || failed.Checks[0].Message == "" {
		t.Fatalf("create of a dead redis: %d %+v %v", res.StatusCode, failed, err)
	}
	if _, err := tc.mgr.Connection(context.Background(), "dead"); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Errorf("dead was created: %v", err)
	}
}
