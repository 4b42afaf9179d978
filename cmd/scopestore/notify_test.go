package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is an app's webhook endpoint: it records each POST it accepts
// and refuses, with 503, as many as fail says.
type receiver struct {
	mu       sync.Mutex
	accepted []map[string]string
	refused  int
	fail     int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		r.refused++
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	var body map[string]string
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" ||
		json.NewDecoder(req.Body).Decode(&body) != nil {
		http.Error(w, "bad notification", http.StatusBadRequest)
		return
	}
	r.accepted = append(r.accepted, body)
}

// take returns the notifications accepted since the last call, and how
// many were refused.
func (r *receiver) take() ([]map[string]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got, refused := r.accepted, r.refused
	r.accepted, r.refused = nil, 0
	return got, refused
}

// dispatchAll runs the dispatchers of the instances at once, a few rounds,
// at the time now for their clocks.
func dispatchAll(t *testing.T, now time.Time, ins ...*instance) {
	t.Helper()
	for range 3 {
		var wg sync.WaitGroup
		for _, in := range ins {
			in.svc.notifier.Now = func() time.Time { return now }
			wg.Go(func() {
				if _, _, err := in.svc.notifier.Dispatch(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
}

// wantOne checks that exactly one notification arrived, for the session
// cfid of shop, for reason.
func wantOne(t *testing.T, got []map[string]string, cfid, reason string) {
	t.Helper()
	want := map[string]string{"app": "shop", "scope": "session", "cfid": cfid, "reason": reason}
	if len(got) != 1 || len(got[0]) != 4 {
		t.Fatalf("webhook received %v; want exactly %v", got, want)
	}
	for k, v := range want {
		if got[0][k] != v {
			t.Fatalf("webhook received %v; want %v", got[0], want)
		}
	}
}

// With two instances sharing the config store and a storage, the app's
// webhook receives one POST for an invalidated session and one for an
// expired one, whichever instances clean and dispatch; a refused POST is
// retried after its backoff and then delivered once.
func TestEndOfSessionWebhook(t *testing.T) {
	for _, storage := range []string{"file", "redis"} {
		t.Run(storage, func(t *testing.T) {
			dir := t.TempDir()
			hook := &receiver{}
			hookSrv := httptest.NewServer(hook)
			t.Cleanup(hookSrv.Close)
			key := strings.TrimSpace(mustCLI(t, dir, "app", "create", "shop"))
			if storage == "redis" {
				redisConnection(t, dir, "sessions", "")
				storage = "sessions"
			}
			mustCLI(t, dir, "app", "settings", "shop", "--session-storage", storage, "--session-cluster", "true",
				"--session-timeout", "30m", "--scope-end-webhook", hookSrv.URL+"/ended")
			a, b := startInstance(t, dir), startInstance(t, dir)

			if status, body, _ := b.do(t, "GET", "/api/v1/apps/shop/settings", key, ""); status != http.StatusOK ||
				!strings.Contains(body, hookSrv.URL+"/ended") {
				t.Fatalf("settings do not show the webhook: %d %s", status, body)
			}
			create := func(in *instance) string {
				t.Helper()
				status, body, _ := in.do(t, "POST", "/api/v1/apps/shop/sessions", key, `{"data":{}}`)
				if status != http.StatusCreated {
					t.Fatalf("create: %d %s", status, body)
				}
				return cfidField.FindStringSubmatch(body)[1]
			}

			// Invalidated on a: one POST, whichever dispatcher claims it.
			invalidated := create(a)
			if status, body, _ := a.do(t, "DELETE", "/api/v1/apps/shop/sessions/"+invalidated, key, ""); status != http.StatusNoContent {
				t.Fatalf("invalidate: %d %s", status, body)
			}
			dispatchAll(t, time.Now(), a, b)
			got, _ := hook.take()
			wantOne(t, got, invalidated, "invalidated")

			// Expired: both instances' cleaners run an hour on, at once.
			expired := create(b)
			later := time.Now().Add(time.Hour)
			var wg sync.WaitGroup
			for _, in := range []*instance{a, b} {
				in.svc.engine.Now = func() time.Time { return later }
				wg.Go(func() {
					if _, err := in.svc.engine.Clean(context.Background()); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			for _, in := range []*instance{a, b} {
				if _, err := in.svc.engine.Clean(context.Background()); err != nil {
					t.Error(err)
				}
				in.svc.engine.Now = time.Now
			}
			dispatchAll(t, time.Now(), a, b)
			got, _ = hook.take()
			wantOne(t, got, expired, "expired")

			// The webhook refuses the first POST: retried after the
			// backoff, not before, and then delivered once.
			hook.mu.Lock()
			hook.fail = 1
			hook.mu.Unlock()
			retried := create(a)
			if status, body, _ := b.do(t, "DELETE", "/api/v1/apps/shop/sessions/"+retried, key, ""); status != http.StatusNoContent {
				t.Fatalf("invalidate: %d %s", status, body)
			}
			now := time.Now()
			dispatchAll(t, now, a, b)
			if got, refused := hook.take(); len(got) != 0 || refused != 1 {
				t.Fatalf("first delivery: %d accepted, %d refused; want the one refused", len(got), refused)
			}
			dispatchAll(t, now.Add(time.Second), a, b)
			if got, refused := hook.take(); len(got) != 0 || refused != 0 {
				t.Fatalf("retried before the backoff: %d accepted, %d refused", len(got), refused)
			}
			dispatchAll(t, now.Add(10*time.Second), a, b)
			got, _ = hook.take()
			wantOne(t, got, retried, "invalidated")
			dispatchAll(t, now.Add(time.Hour), a, b)
			if got, refused := hook.take(); len(got) != 0 || refused != 0 {
				t.Fatalf("delivered again: %v, %d refused", got, refused)
			}
		})
	}
}
