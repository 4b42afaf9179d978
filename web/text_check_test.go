package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
)

// newStorageAPI is newTestAPI with the given connections in its config
// store, so that an app's settings can name a MariaDB or PostgreSQL storage.
func newStorageAPI(t *testing.T, conns ...scopes.Connection) *testAPI {
	t.Helper()
	ctx := context.Background()
	dataDir := t.TempDir()
	cs, err := configstore.Open(ctx, "", dataDir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		if err := cs.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	reg := &countingStorages{Registry: connections.NewRegistry(dataDir, cs)}
	dir := scopes.NewDirectory(cs, reg)
	dir.CacheTTL = 0
	// The real time: Redis expires keys by its own clock.
	clk := &clock{now: time.Now()}
	eng := scopes.NewEngine(reg)
	eng.Now = clk.Now
	eng.MaxScopeSize = 4096
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(web.New(web.Options{Engine: eng, Directory: dir, Logger: logger}))
	t.Cleanup(func() {
		srv.Close()
		_ = reg.Close()
		_ = cs.Close()
	})
	return &testAPI{t: t, srv: srv, dir: dir, engine: eng, storages: reg, clock: clk}
}

// textStorages are the storages the text checks run on: memory, and the
// two that refused invalid UTF-8 with a storage error (503) before the
// API checked it; a test skips a server that is not there.
var textStorages = []struct {
	name string
	conn func(t *testing.T) []scopes.Connection
}{
	{"memory", func(*testing.T) []scopes.Connection { return nil }},
	{"mysql", func(t *testing.T) []scopes.Connection {
		return []scopes.Connection{{Name: "db", Kind: "datasource", Type: "mysql", Storage: true,
			Params: map[string]string{"dsn": conntest.MySQLDSN(t)}}}
	}},
	{"postgres", func(t *testing.T) []scopes.Connection {
		return []scopes.Connection{{Name: "db", Kind: "datasource", Type: "postgres", Storage: true,
			Params: map[string]string{"url": conntest.PostgresURL(t)}}}
	}},
}

// Invalid UTF-8 and unpaired surrogate escapes in JSON strings are
// refused with 400, before any storage is touched, by PUT, POST, PATCH and
// PUT with If-None-Match: *, and nothing is stored. MariaDB and PostgreSQL
// answered 503 (and raised storage alerts); memory echoed the bytes back.
func TestInvalidTextRefused(t *testing.T) {
	for _, st := range textStorages {
		t.Run(st.name, func(t *testing.T) {
			conns := st.conn(t)
			a := newStorageAPI(t, conns...)
			settings := map[string]string{"sessionCluster": "true"}
			if len(conns) > 0 {
				settings["sessionStorage"] = conns[0].Name
			}
			key := a.app("shop", settings)
			cfid := a.create("shop", key, "sessions")
			path := "/api/v1/apps/shop/sessions/" + cfid
			mustStatus(t, a.do("PUT", path, key, `{"data":{"k":"ok"}}`), http.StatusOK)
			newCFID := "0f8fad5b-d9cb-469f-a165-70867728950e"

			strs := []struct{ name, json, says string }{
				{"invalid byte", "\"a\xffb\"", "UTF-8"},
				{"cut sequence", "\"\xc3\"", "UTF-8"},
				{"encoded surrogate", "\"\xed\xa0\x80\"", "UTF-8"},
				{"overlong", "\"\xc0\xaf\"", "UTF-8"},
				{"lone high surrogate", `"\ud800"`, `\ud800`},
				{"lone low surrogate", `"\udc00"`, `\udc00`},
				{"two high surrogates", `"\ud800\ud800"`, `\ud800`},
			}
			for _, s := range strs {
				for _, req := range []struct {
					method, path, body string
					headers            []string
				}{
					{"PUT", path, `{"data":{"k":` + s.json + `}}`, nil},
					{"PUT", path, `{"data":{` + s.json + `:1}}`, nil},
					{"PUT", path, ` { "data" : { "n" : [ 1 , ` + s.json + ` ] } } `, nil}, // the fast path's compacting pass
					{"POST", "/api/v1/apps/shop/sessions", `{"data":{"k":` + s.json + `}}`, nil},
					{"PUT", "/api/v1/apps/shop/sessions/" + newCFID, `{"data":{"k":` + s.json + `}}`, []string{"If-None-Match", "*"}},
					{"PATCH", path, `{"set":{"k":` + s.json + `}}`, nil},
					{"PATCH", path, `{"set":{"k":{"deep":` + s.json + `}}}`, nil},
					{"PATCH", path, `{"set":{` + s.json + `:1}}`, nil},
					{"PATCH", path, `{"unset":[` + s.json + `]}`, nil},
					{"PATCH", path, `{"incr":{` + s.json + `:1}}`, nil},
				} {
					before := a.storages.lookups.Load()
					r := a.do(req.method, req.path, key, req.body, req.headers...)
					if r.status != http.StatusBadRequest || r.errorCode(t) != scopes.EInvalid || !strings.Contains(string(r.body), s.says) {
						t.Errorf("%s: %s %s %q: %d %s; want 400 invalid saying %s", s.name, req.method, req.path, req.body, r.status, r.body, s.says)
					}
					if n := a.storages.lookups.Load() - before; n != 0 {
						t.Errorf("%s: %s %q looked up a storage %d times", s.name, req.method, req.body, n)
					}
				}
			}
			// Nothing was stored: the scope is as the last good save left it,
			// no scope was created under the caller's cfid, and the only
			// scope of the app is the one made above.
			r := a.do("GET", path, key, "")
			mustStatus(t, r, http.StatusOK)
			if d := r.data(t); len(d) != 1 || d["k"] != "ok" {
				t.Errorf("the scope's data became %v", d)
			}
			mustStatus(t, a.do("GET", "/api/v1/apps/shop/sessions/"+newCFID, key, ""), http.StatusNotFound)
			// A valid pair of surrogate escapes is one character, and UTF-8
			// text passes, on every storage.
			mustStatus(t, a.do("PATCH", path, key, `{"set":{"emoji":"\ud83d\ude00","é":"€"}}`), http.StatusOK)
			r = a.do("GET", path, key, "")
			if d := r.data(t); d["emoji"] != "😀" || d["é"] != "€" {
				t.Errorf("UTF-8 text came back as %v", d)
			}
		})
	}
}

// A setting's value goes through the same check as a scope's data.
func TestInvalidTextSettingsRefused(t *testing.T) {
	a := newTestAPI(t)
	key := a.app("shop", nil)
	for _, body := range []string{"{\"sessionTimeout\":\"30m\xff\"}", `{"sessionStorage":"mem\udc00ory"}`, "{\"session\xffTimeout\":\"30m\"}"} {
		r := a.do("PUT", "/api/v1/apps/shop/settings", key, body)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "UTF-8") && !strings.Contains(string(r.body), `\udc00`) {
			t.Errorf("PUT settings %q: %d %s; want 400 naming the bad text", body, r.status, r.body)
		}
	}
}
