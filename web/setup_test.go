package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
)

// clock is a settable time source for expiry tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// countingStorages counts every storage lookup, to prove that bad requests
// are refused before any storage is touched.
type countingStorages struct {
	*connections.Registry
	lookups atomic.Int64
}

func (c *countingStorages) Store(ctx context.Context, name string) (scopes.Store, error) {
	c.lookups.Add(1)
	return c.Registry.Store(ctx, name)
}

// testAPI is the runtime API over a real config store (SQLite) and the real
// memory and file storages, served by httptest.
type testAPI struct {
	t        *testing.T
	srv      *httptest.Server
	dir      *scopes.Directory
	engine   *scopes.Engine
	storages *countingStorages
	clock    *clock
	// config is the config store, which holds the webhooks' outbox.
	config *configstore.Store
}

// newTestAPI serves the API; each configure adjusts its options before
// web.New reads them.
func newTestAPI(t *testing.T, configure ...func(*web.Options)) *testAPI {
	t.Helper()
	dataDir := t.TempDir()
	cs, err := configstore.Open(context.Background(), "", dataDir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg := &countingStorages{Registry: connections.NewRegistry(dataDir, cs)}
	dir := scopes.NewDirectory(cs, reg)
	dir.CacheTTL = 0
	clk := &clock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	eng := scopes.NewEngine(reg)
	eng.Now = clk.Now
	eng.MaxScopeSize = 4096
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := web.Options{Engine: eng, Directory: dir, Logger: logger}
	for _, f := range configure {
		f(&opts)
	}
	srv := httptest.NewServer(web.New(opts))
	t.Cleanup(func() {
		srv.Close()
		_ = reg.Close()
		_ = cs.Close()
	})
	return &testAPI{t: t, srv: srv, dir: dir, engine: eng, storages: reg, clock: clk, config: cs}
}

// app creates an app with the given settings and returns its API key.
func (a *testAPI) app(name string, settings map[string]string) string {
	a.t.Helper()
	key, err := a.dir.CreateApp(context.Background(), name)
	if err != nil {
		a.t.Fatal(err)
	}
	if len(settings) > 0 {
		if _, err := a.dir.SetAppSettings(context.Background(), name, settings); err != nil {
			a.t.Fatal(err)
		}
	}
	return key
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a map.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
	return m
}

// data returns the scope's data object.
func (r response) data(t *testing.T) map[string]any {
	t.Helper()
	d, ok := r.json(t)["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data object in %s", r.body)
	}
	return d
}

// errorCode returns error.code of an error body.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.body)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error without a message: %s", r.body)
	}
	return e["code"].(string)
}

func (a *testAPI) do(method, path, key, body string, headers ...string) response {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := a.srv.Client().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// mustStatus fails the test unless r has the given status.
func mustStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// create makes a scope and returns its cfid.
func (a *testAPI) create(app, key, kind string) string {
	a.t.Helper()
	r := a.do("POST", "/api/v1/apps/"+app+"/"+kind, key, "")
	mustStatus(a.t, r, http.StatusCreated)
	return r.json(a.t)["cfid"].(string)
}

// doQuiet sends a request from any goroutine and returns its status, or 0
// when the request could not be sent.
func (a *testAPI) doQuiet(method, path, key, body string, headers ...string) int {
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := a.srv.Client().Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}
