package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/connections/cookie"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
)

// newCookieBenchAPI is newBenchAPI with the cookie storage on and the
// bench app's client scope in it.
func newCookieBenchAPI(b *testing.B) *benchAPI {
	b.Helper()
	ctx := context.Background()
	dataDir := b.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	prev := slog.Default()
	slog.SetDefault(logger)
	cs, err := configstore.Open(ctx, "", dataDir, bytes.Repeat([]byte{7}, 32))
	slog.SetDefault(prev)
	if err != nil {
		b.Fatal(err)
	}
	reg := connections.NewRegistry(dataDir, cs)
	ring, err := cookie.NewRing(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		b.Fatal(err)
	}
	reg.UseCookieKeys(ring)
	dir := scopes.NewDirectory(cs, reg)
	eng := scopes.NewEngine(reg)
	eng.Logger = logger
	b.Cleanup(func() {
		_ = reg.Close()
		_ = cs.Close()
	})
	key, err := dir.CreateApp(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := dir.SetAppSettings(ctx, "bench", map[string]string{"clientStorage": "cookie"}); err != nil {
		b.Fatal(err)
	}
	put := append(append([]byte(`{"data":`), benchSessionData(benchDataSize)...), '}')
	return &benchAPI{h: web.New(web.Options{Engine: eng, Directory: dir, Logger: logger}), key: key, put: put}
}

// BenchmarkAPICookieCycle is scopebench's cookie scenario without the
// network: a load of a 2 KiB client scope in cookie storage with its
// token, then a save with the token the load answered.
func BenchmarkAPICookieCycle(b *testing.B) {
	a := newCookieBenchAPI(b)
	send := func(method, path, token string, body []byte, want int) string {
		req := httptest.NewRequest(method, path, nil)
		if body != nil {
			req = httptest.NewRequest(method, path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+a.key)
		if token != "" {
			req.Header.Set("Scope-Token", token)
		}
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body.Bytes())
		}
		if method == "POST" {
			var sc struct {
				CFID string `json:"cfid"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &sc)
			return sc.CFID + " " + rec.Header().Get("Scope-Token")
		}
		return rec.Header().Get("Scope-Token")
	}
	created := send("POST", "/api/v1/apps/bench/clients", "", a.put, http.StatusCreated)
	path, token := "/api/v1/apps/bench/clients/"+created[:36], created[37:]
	b.ReportAllocs()
	for b.Loop() {
		token = send("GET", path, token, nil, http.StatusOK)
		token = send("PUT", path, token, a.put, http.StatusOK)
	}
}
