package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/web/client"
)

// dropFirst is a fake scopestore that drops the connection of the first
// request it gets, without an answer, and answers the others with status.
type dropFirst struct {
	requests atomic.Int64
	status   int
	header   http.Header
	body     string
}

func (d *dropFirst) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.requests.Add(1) == 1 {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	for k, v := range d.header {
		w.Header()[k] = v
	}
	w.WriteHeader(d.status)
	_, _ = w.Write([]byte(d.body))
}

// Idempotent calls (GET, touch, DELETE) are sent again once after a
// connection error; POST and PATCH never, since their first try may have
// been applied.
func TestClient_RetryOnlyIdempotent(t *testing.T) {
	ctx := context.Background()
	cfid := client.NewCFID()
	scope := `{"cfid":"` + cfid + `","cftoken":"0","version":1,"data":{}}`
	tests := []struct {
		name   string
		status int
		body   string
		call   func(s *client.Scopes) error
		sent   int64
	}{
		{"GET", 200, scope, func(s *client.Scopes) error { _, err := s.Get(ctx, cfid); return err }, 2},
		{"touch", 204, "", func(s *client.Scopes) error { return s.Touch(ctx, cfid) }, 2},
		{"DELETE", 204, "", func(s *client.Scopes) error { return s.Delete(ctx, cfid) }, 2},
		{"PATCH", 200, scope, func(s *client.Scopes) error {
			_, err := s.Patch(ctx, cfid, client.Patch{Incr: map[string]int64{"n": 1}})
			return err
		}, 1},
		{"POST", 201, scope, func(s *client.Scopes) error { _, err := s.Create(ctx, nil); return err }, 1},
		{"rotate", 201, scope, func(s *client.Scopes) error { _, err := s.Rotate(ctx, cfid, ""); return err }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &dropFirst{status: tt.status, body: tt.body}
			srv := serve(t, fake)
			c, err := client.New(srv.URL, "shop", "key")
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			err = tt.call(c.Sessions())
			if got := fake.requests.Load(); got != tt.sent {
				t.Fatalf("%d requests reached the server, want %d", got, tt.sent)
			}
			if tt.sent == 2 && err != nil {
				t.Fatalf("the retried call failed: %v", err)
			}
			if tt.sent == 1 && !errors.Is(err, client.ErrUnavailable) {
				t.Fatalf("the dropped call: %v, want ErrUnavailable", err)
			}
		})
	}
}

// An error answer keeps the API's code, message and Retry-After.
func TestClient_ErrorAnswer(t *testing.T) {
	fake := &dropFirst{status: http.StatusServiceUnavailable, header: http.Header{"Retry-After": {"7"}},
		body: `{"error":{"code":"unavailable","message":"storage \"cache\" is unavailable; try again shortly"}}`}
	fake.requests.Store(1) // answer from the first request on
	srv := serve(t, fake)
	c, err := client.New(srv.URL, "shop", "key")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	_, err = c.Sessions().Get(context.Background(), client.NewCFID())
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is no *client.Error", err)
	}
	if e.Status != 503 || e.Code != client.CodeUnavailable || e.Message != `storage "cache" is unavailable; try again shortly` ||
		e.RetryAfter != 7*time.Second || client.RetryAfter(err) != 7*time.Second || !errors.Is(err, client.ErrUnavailable) {
		t.Fatalf("error %#v", e)
	}
	if errors.Is(err, client.ErrNotFound) {
		t.Fatal("a 503 matches ErrNotFound")
	}

	// A proxy's answer without the JSON body still gets a code.
	fake.status, fake.header, fake.body = http.StatusBadGateway, nil, "<html>bad gateway</html>"
	_, err = c.Sessions().Get(context.Background(), client.NewCFID())
	if !errors.Is(err, client.ErrUnavailable) {
		t.Fatalf("502 from a proxy: %v, want ErrUnavailable", err)
	}
}

// slow is a fake scopestore that answers after a delay, or when the test ends.
type slow struct {
	requests atomic.Int64
	delay    time.Duration
	headers  chan http.Header
	done     chan struct{}
}

func (s *slow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	select {
	case s.headers <- r.Header.Clone():
	default:
	}
	select {
	case <-time.After(s.delay):
	case <-s.done:
	}
	w.WriteHeader(http.StatusNoContent)
}

// A call is bounded by WithTimeout, or by the Timeout of the caller's
// http.Client, also on a transport wrapped by the caller: a call that
// times out is unavailable and is not sent again. The caller's own
// cancellation stays a context error.
func TestClient_Timeout(t *testing.T) {
	fake := &slow{delay: time.Minute, headers: make(chan http.Header, 1), done: make(chan struct{})}
	srv := serve(t, fake)
	t.Cleanup(func() { close(fake.done) })
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	clients := map[string][]client.Option{
		"WithTimeout":    {client.WithTimeout(200 * time.Millisecond)},
		"http.Client":    {client.WithHTTPClient(&http.Client{Timeout: 200 * time.Millisecond})},
		"wrapped":        {client.WithHTTPClient(&http.Client{Transport: wrappedTransport{tr}, Timeout: 200 * time.Millisecond})},
		"with a jar, Do": {client.WithHTTPClient(&http.Client{Timeout: 200 * time.Millisecond, Jar: noJar{}})},
	}
	for name, opts := range clients {
		t.Run(name, func(t *testing.T) {
			c, err := client.New(srv.URL, "shop", "key", opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			fake.requests.Store(0)
			start := time.Now()
			err = c.Sessions().Touch(context.Background(), client.NewCFID())
			if !errors.Is(err, client.ErrUnavailable) || time.Since(start) > 5*time.Second || fake.requests.Load() != 1 {
				t.Fatalf("a slow touch: %v after %v, %d requests; want ErrUnavailable after 200ms, 1 request",
					err, time.Since(start), fake.requests.Load())
			}
			h := <-fake.headers
			if h.Get("Authorization") != "Bearer key" || h.Get("Accept") != "application/json" || h.Get("User-Agent") == "" {
				t.Fatalf("headers %v", h)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if err := c.Sessions().Touch(ctx, client.NewCFID()); errors.Is(err, client.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("a call the caller gave up on: %v, want the caller's context error", err)
			}
			<-fake.headers
		})
	}
}

// noJar is a cookie jar that keeps nothing.
type noJar struct{}

func (noJar) SetCookies(*url.URL, []*http.Cookie) {}
func (noJar) Cookies(*url.URL) []*http.Cookie     { return nil }
