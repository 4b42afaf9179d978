package client_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scopestore/scopestore/web/client"
)

// BenchmarkMiddlewareHit is one hit of an app behind the middleware, as
// cmd/scopebench's app-go sends it, on scopestore in process (memory
// storage, over loopback): the visitor's session, n = n + 1, n answered.
// The handler is called directly with a recorder, so that the time and
// allocations are the middleware's, the client's calls and scopestore's
// answers (profile with -cpuprofile and look at web/client and net/http's
// client side for the app's part):
//
//	go test -run '^$' -bench MiddlewareHit -benchmem ./web/client
//
// incr-get is Incr then Get (one PATCH); get-set is Get then Set (a GET and
// a PATCH); get is a read only (one GET).
//
// The own-transport runs use the client's own pooled transport; the
// wrapped-transport runs an *http.Client of the caller's whose transport
// is wrapped (as app-go wraps it to count calls), which net/http's Client
// does not know.
func BenchmarkMiddlewareHit(b *testing.B) {
	ts := startServer(b, backends[0])
	logger := client.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	own, err := client.New(ts.URL, "shop", ts.Key, logger)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(own.CloseIdleConnections)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = client.DefaultMaxIdleConnsPerHost
	b.Cleanup(tr.CloseIdleConnections)
	wrapped, err := client.New(ts.URL, "shop", ts.Key, logger,
		client.WithHTTPClient(&http.Client{Transport: wrappedTransport{tr}, Timeout: client.DefaultTimeout}))
	if err != nil {
		b.Fatal(err)
	}
	rec, err := own.Sessions().Create(context.Background(), map[string]any{"n": 0, "user": "ann", "cart": []any{1, 2, 3}})
	if err != nil {
		b.Fatal(err)
	}
	for _, cc := range []struct {
		name string
		c    *client.Client
	}{{"own-transport", own}, {"wrapped-transport", wrapped}} {
		b.Run(cc.name, func(b *testing.B) { benchmarkHits(b, cc.c, rec.CFID) })
	}
}

// wrappedTransport is a RoundTripper that net/http's Client does not know.
type wrappedTransport struct{ next http.RoundTripper }

func (t wrappedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(r)
}

func benchmarkHits(b *testing.B, c *client.Client, cfid string) {
	handlers := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"incr-get", counter},
		{"get-set", func(w http.ResponseWriter, r *http.Request) {
			s := client.SessionFrom(r)
			n, _ := s.Get("n").(float64)
			s.Set("n", n+1)
			fmt.Fprint(w, n+1)
		}},
		{"get", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, client.SessionFrom(r).Get("n"))
		}},
	}
	for _, tt := range handlers {
		b.Run(tt.name, func(b *testing.B) {
			app := c.Middleware(tt.h)
			hit := func() {
				req := httptest.NewRequest(http.MethodGet, "/hit", nil)
				req.AddCookie(&http.Cookie{Name: "CFID", Value: cfid})
				w := httptest.NewRecorder()
				app.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				hit()
			}
		})
	}
}
