package client_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web/client"
)

// When the storage is down, a visitor's request gets 503 with Retry-After
// — never a fresh, empty session that would overwrite the stored one — and
// the handler stops at the session's first use.
func TestMiddleware_StorageDownIs503(t *testing.T) {
	redis := startRedis(t)
	ts := startServer(t, backend{"outage", func(t testing.TB, mgr *connections.Manager) string {
		err := mgr.Create(t.Context(), scopes.Connection{Name: "cache", Kind: "cache", Type: "redis", Storage: true,
			Params: map[string]string{"url": "redis://127.0.0.1:" + strconv.Itoa(outagePort) + "/0", "prefix": "scopestore_t_client:", "timeout": "1s"}})
		if err != nil {
			t.Fatal(err)
		}
		return "cache"
	}})
	var pastLoad atomic.Int64
	handler := func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		if r.URL.Path == "/partial" {
			fmt.Fprint(w, "partial answer, then the session")
		}
		n := s.Get("n") // aborts here when the session cannot be loaded
		pastLoad.Add(1)
		s.Incr("n", 1)
		fmt.Fprint(w, n)
	}
	c := newClient(t, ts)
	app := appServer(t, c, handler)
	b := newBrowser(t)
	b.mustGet(app)
	b.mustGet(app)
	cfid := b.cookie(app, "CFID")
	redis.stop()
	pastLoad.Store(0)

	p, err := b.get(app)
	if err != nil {
		t.Fatal(err)
	}
	if p.status != http.StatusServiceUnavailable || p.header.Get("Retry-After") == "" || len(p.cookies) != 0 {
		t.Fatalf("storage down: %d, Retry-After %q, cookies %v: %s", p.status, p.header.Get("Retry-After"), p.cookies, p.body)
	}
	if pastLoad.Load() != 0 || b.cookie(app, "CFID") != cfid {
		t.Fatalf("the handler went on with an empty session (%d), or the cookie changed", pastLoad.Load())
	}

	// A new visitor's first change cannot be created: 503 too, no cookie.
	newcomer := newBrowser(t)
	newcomerApp := appServer(t, c, func(w http.ResponseWriter, r *http.Request) {
		client.SessionFrom(r).Set("a", 1)
		fmt.Fprint(w, "ok")
	})
	p, err = newcomer.get(newcomerApp)
	if err != nil || p.status != http.StatusServiceUnavailable || len(p.cookies) != 0 || strings.Contains(p.body, "ok") {
		t.Fatalf("a new visitor with the storage down: %+v, %v", p, err)
	}

	// A change before any read: the PATCH that would carry it and load the
	// session fails, and the visitor gets 503 as well, whether the handler
	// reads after the change or writes its answer first (then the save at
	// its first write fails, and the error handler's answer stands even
	// though the handler reads afterwards).
	for name, h := range map[string]http.HandlerFunc{
		"an increment, then a read": counter,
		"an increment, an answer, then a read": func(w http.ResponseWriter, r *http.Request) {
			s := client.SessionFrom(r)
			s.Incr("n", 1)
			fmt.Fprint(w, "ok")
			pastLoad.Add(1)
			_ = s.Get("n")
		},
	} {
		pastLoad.Store(0)
		p, err := b.get(appServer(t, c, h))
		if err != nil || p.status != http.StatusServiceUnavailable || p.header.Get("Retry-After") == "" ||
			len(p.cookies) != 0 || strings.Contains(p.body, "ok") {
			t.Fatalf("%s with the storage down: %+v, %v", name, p, err)
		}
		if b.cookie(app, "CFID") != cfid {
			t.Fatalf("%s with the storage down: the cookie changed", name)
		}
	}

	// A handler that had started its answer is cut short.
	if p, err := b.get(app + "/partial"); err == nil && p.status == http.StatusOK {
		t.Fatalf("the visitor took a half-written answer for a success: %q", p.body)
	}

	// The app's own answer, through WithErrorHandler.
	custom := newClient(t, ts, client.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		w.Header().Set("Retry-After", strconv.Itoa(int(client.RetryAfter(err).Seconds())))
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	p, err = b.get(appServer(t, custom, handler))
	if err != nil || p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, "maintenance") || p.header.Get("Retry-After") != "5" {
		t.Fatalf("custom error handler: %+v, %v", p, err)
	}
}

// When scopestore itself does not answer, the request gets 503 as well.
func TestMiddleware_ScopestoreDownIs503(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(closedPort)
	c, err := client.New("http://"+addr, "shop", "key", client.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	app := appServer(t, c, counter)
	b := newBrowser(t)
	b.setCookie(app, "CFID", client.NewCFID())
	p, err := b.get(app)
	if err != nil || p.status != http.StatusServiceUnavailable || p.header.Get("Retry-After") != "5" {
		t.Fatalf("scopestore down: %+v, %v", p, err)
	}
}
