package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
)

// countingConfig is the config store with its API key lookups counted.
type countingConfig struct {
	scopes.ConfigStore
	keyReads atomic.Int64
}

func (c *countingConfig) AppForKey(ctx context.Context, hash string) (string, bool, error) {
	c.keyReads.Add(1)
	return c.ConfigStore.AppForKey(ctx, hash)
}

// newCountingAPI serves the API as newTestAPI does, but over a directory
// with its default cache TTL on a config store whose key lookups it counts.
func newCountingAPI(t *testing.T, configure ...func(*web.Options)) (*testAPI, *countingConfig) {
	t.Helper()
	dataDir := t.TempDir()
	cs, err := configstore.Open(context.Background(), "", dataDir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &countingConfig{ConfigStore: cs}
	reg := &countingStorages{Registry: connections.NewRegistry(dataDir, cs)}
	dir := scopes.NewDirectory(cfg, reg)
	clk := &clock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	dir.Now = clk.Now
	eng := scopes.NewEngine(reg)
	eng.Now = clk.Now
	opts := web.Options{Engine: eng, Directory: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range configure {
		f(&opts)
	}
	srv := httptest.NewServer(web.New(opts))
	t.Cleanup(func() {
		srv.Close()
		_ = reg.Close()
		_ = cs.Close()
	})
	return &testAPI{t: t, srv: srv, dir: dir, engine: eng, storages: reg, clock: clk}, cfg
}

// trustLoopback is --trusted-proxies 127.0.0.1,::1: the test's client is the proxy.
func trustLoopback(o *web.Options) {
	o.TrustedProxies = []*net.IPNet{
		{IP: net.IPv4(127, 0, 0, 1).To4(), Mask: net.CIDRMask(32, 32)},
		{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
	}
}

func TestUnknownKeyReadsConfigStoreOnce(t *testing.T) {
	a, cfg := newCountingAPI(t)
	unknown, _ := scopes.NewAPIKey()
	for range 10 {
		mustStatus(t, a.do("GET", "/api/v1/apps/shop/sessions/count", unknown, ""), http.StatusUnauthorized)
	}
	if n := cfg.keyReads.Load(); n != 1 {
		t.Errorf("10 requests with one unknown key read the config store %d times, want 1", n)
	}
	// A key created on this instance works at once, misses or not.
	key := a.app("shop", nil)
	mustStatus(t, a.do("GET", "/api/v1/apps/shop/sessions/count", key, ""), http.StatusOK)
}

func TestManyUnauthorizedFromOneAddressAre429(t *testing.T) {
	a, cfg := newCountingAPI(t)
	key := a.app("shop", nil)
	const path = "/api/v1/apps/shop/sessions/count"
	for i := range 20 {
		wrong, _ := scopes.NewAPIKey()
		// Rotating X-Forwarded-For makes no new address: no proxy is trusted.
		mustStatus(t, a.do("GET", path, wrong, "", "X-Forwarded-For", "203.0.113."+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	reads := cfg.keyReads.Load()
	wrong, _ := scopes.NewAPIKey()
	r := a.do("GET", path, wrong, "", "X-Forwarded-For", "198.51.100.1", "X-Real-IP", "198.51.100.2")
	mustStatus(t, r, http.StatusTooManyRequests)
	if got := r.errorCode(t); got != scopes.ETooManyRequests {
		t.Errorf("code %q, want %q", got, scopes.ETooManyRequests)
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Errorf("Retry-After %q, want 1 to 60 seconds", r.header.Get("Retry-After"))
	}
	// Refused before the lookup: the config store is spared.
	if n := cfg.keyReads.Load(); n != reads {
		t.Errorf("a refused request read the config store (%d reads, was %d)", n, reads)
	}
	// The whole address waits, a valid key too.
	mustStatus(t, a.do("GET", path, key, ""), http.StatusTooManyRequests)
	// After the window the address is heard again.
	a.clock.Advance(time.Minute)
	mustStatus(t, a.do("GET", path, key, ""), http.StatusOK)
	mustStatus(t, a.do("GET", path, wrong, ""), http.StatusUnauthorized)
}

func TestUnauthorizedLimitHonoursTrustedProxy(t *testing.T) {
	a, _ := newCountingAPI(t, trustLoopback)
	key := a.app("shop", nil)
	const path = "/api/v1/apps/shop/sessions/count"
	for range 20 {
		mustStatus(t, a.do("GET", path, "", "", "X-Forwarded-For", "203.0.113.7"), http.StatusUnauthorized)
	}
	mustStatus(t, a.do("GET", path, key, "", "X-Forwarded-For", "203.0.113.7"), http.StatusTooManyRequests)
	mustStatus(t, a.do("GET", path, key, "", "X-Real-IP", "203.0.113.7"), http.StatusTooManyRequests)
	// The proxy's other clients, and the proxy itself, are not held up.
	mustStatus(t, a.do("GET", path, key, "", "X-Forwarded-For", "203.0.113.8"), http.StatusOK)
	mustStatus(t, a.do("GET", path, key, ""), http.StatusOK)
}
