package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/web"
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
// at the time now for their clocks, each round until their workers end.
func dispatchAll(t *testing.T, now time.Time, ins ...*instance) {
	t.Helper()
	for range 3 {
		var wg sync.WaitGroup
		for _, in := range ins {
			in.svc.notifier.Now = func() time.Time { return now }
			wg.Go(func() {
				if _, err := in.svc.notifier.Dispatch(context.Background()); err != nil {
					t.Error(err)
				}
				in.svc.notifier.Wait()
			})
		}
		wg.Wait()
	}
}

// webhookOptIns let webhooks reach httptest servers: plain http, on the
// loopback network.
var webhookOptIns = []string{"--webhook-allow-http", "--webhook-allow-networks", "127.0.0.0/8,::1"}

// startWebhookInstance is startInstance with webhookOptIns.
func startWebhookInstance(t *testing.T, dataDir string) *instance {
	t.Helper()
	cfg := defaultConfig()
	cfg.DataDir = dataDir
	cfg.CacheTTL = 0
	cfg.WebhookAllowHTTP = true
	if err := cfg.WebhookAllowNetworks.Set(webhookOptIns[2]); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := open(context.Background(), &cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Options{Engine: svc.engine, Directory: svc.directory, Logger: logger}))
	t.Cleanup(func() {
		srv.Close()
		svc.notifier.Wait()
		_ = svc.Close()
	})
	return &instance{svc: svc, srv: srv}
}

// wantOne checks that exactly one notification arrived, for the session
// cfid of shop, for reason, with the fields of more (name, value, …) and no
// others.
func wantOne(t *testing.T, got []map[string]string, cfid, reason string, more ...string) {
	t.Helper()
	want := map[string]string{"app": "shop", "scope": "session", "cfid": cfid, "reason": reason}
	for i := 0; i+1 < len(more); i += 2 {
		want[more[i]] = more[i+1]
	}
	if len(got) != 1 || len(got[0]) != len(want) {
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
			mustCLI(t, dir, append(webhookOptIns, "app", "settings", "shop", "--session-storage", storage, "--session-cluster", "true",
				"--session-timeout", "30m", "--scope-end-webhook", hookSrv.URL+"/ended")...)
			a, b := startWebhookInstance(t, dir), startWebhookInstance(t, dir)

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

			// Rotated on a: one POST naming the new cfid. The old cfid
			// expires at the end of the grace and both cleaners find it,
			// but the session did not end: that is not told.
			rotated := create(a)
			status, body, _ := a.do(t, "POST", "/api/v1/apps/shop/sessions/"+rotated+"/rotate", key, "")
			if status != http.StatusCreated {
				t.Fatalf("rotate: %d %s", status, body)
			}
			moved := cfidField.FindStringSubmatch(body)[1]
			afterGrace := time.Now().Add(time.Minute)
			for _, in := range []*instance{a, b} {
				in.svc.engine.Now = func() time.Time { return afterGrace }
				if deleted, err := in.svc.engine.Clean(context.Background()); err != nil {
					t.Error(err)
				} else if in == a && deleted[storage] != 1 {
					t.Errorf("a's cleaner deleted %v; want the old cfid", deleted)
				}
				in.svc.engine.Now = time.Now
			}
			dispatchAll(t, time.Now(), a, b)
			got, _ = hook.take()
			wantOne(t, got, rotated, "rotated", "rotatedTo", moved)

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

// One app's webhook receiver that hangs does not delay another app's: the
// other's notification is delivered while the first's POST still hangs.
func TestEndOfScopeWebhook_HangingReceiverDelaysNoOtherApp(t *testing.T) {
	dir := t.TempDir()
	release, hanging, slowEnded := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var hangOnce, endOnce, releaseOnce sync.Once
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read to the body's end: only then does the server watch the
		// connection, and end r.Context() when the sender gives up.
		_, _ = io.Copy(io.Discard, r.Body)
		hangOnce.Do(func() { close(hanging) })
		select {
		case <-release:
		case <-r.Context().Done():
			endOnce.Do(func() { close(slowEnded) })
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	fastGot := make(chan map[string]string, 4)
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		fastGot <- body
	}))
	t.Cleanup(fast.Close)

	keys := map[string]string{}
	for app, url := range map[string]string{"slow": slow.URL, "fast": fast.URL} {
		keys[app] = strings.TrimSpace(mustCLI(t, dir, "app", "create", app))
		mustCLI(t, dir, append(webhookOptIns, "app", "settings", app, "--scope-end-webhook", url+"/end")...)
	}
	in := startWebhookInstance(t, dir)
	// The slow app's scope ends first, so that its notification is the
	// older: a dispatcher that delivers in order, one at a time, would
	// wait out its timeout before the fast app's.
	ended := map[string]string{}
	for _, app := range []string{"slow", "fast"} {
		status, body, _ := in.do(t, "POST", "/api/v1/apps/"+app+"/sessions", keys[app], `{"data":{}}`)
		if status != http.StatusCreated {
			t.Fatalf("create: %d %s", status, body)
		}
		ended[app] = cfidField.FindStringSubmatch(body)[1]
		if status, body, _ := in.do(t, "DELETE", "/api/v1/apps/"+app+"/sessions/"+ended[app], keys[app], ""); status != http.StatusNoContent {
			t.Fatalf("invalidate: %d %s", status, body)
		}
	}
	if _, err := in.svc.notifier.Dispatch(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-fastGot:
		if got["app"] != "fast" || got["cfid"] != ended["fast"] {
			t.Fatalf("the fast app received %v", got)
		}
	case <-slowEnded:
		t.Fatal("the slow app's POST timed out before the fast app's notification was delivered")
	}
	<-hanging
	select {
	case <-slowEnded:
		t.Fatal("the slow app's POST ended before the test released it")
	default:
	}
	releaseOnce.Do(func() { close(release) })
	in.svc.notifier.Wait()
}

// Only an administrator sets where webhooks go: an app's key may declare
// none, or one of the URLs an administrator listed in allowedWebhooks, and
// cannot list URLs itself; an administrator's plain http URL needs
// --webhook-allow-http.
func TestEndOfScopeWebhook_OnlyAnAdministratorChoosesIt(t *testing.T) {
	dir := t.TempDir()
	key := strings.TrimSpace(mustCLI(t, dir, "app", "create", "shop"))
	in := startWebhookInstance(t, dir)
	put := func(body string) (int, string) {
		t.Helper()
		status, resp, _ := in.do(t, "PUT", "/api/v1/apps/shop/settings", key, body)
		return status, resp
	}
	for _, body := range []string{
		`{"scopeEndWebhook":"https://169.254.169.254/latest/meta-data"}`,
		`{"scopeEndWebhook":"http://127.0.0.1:6379/"}`,
		`{"scopeEndWebhook":"https://hooks.example.com/end"}`,
		`{"allowedWebhooks":["https://hooks.example.com/end"]}`,
		`{"allowedWebhooks":"https://hooks.example.com/end"}`,
	} {
		if status, resp := put(body); status != http.StatusForbidden || !strings.Contains(resp, "allowedWebhooks") {
			t.Errorf("app PUT %s: %d %s; want 403 naming allowedWebhooks", body, status, resp)
		}
	}

	code, _, errOut := cli(t, dir, "", "app", "settings", "shop", "--scope-end-webhook", "http://hooks.example.com/end")
	if code == exitOK || !strings.Contains(errOut, "--webhook-allow-http") {
		t.Fatalf("admin http URL without the opt-in: exit %d: %s", code, errOut)
	}
	code, _, errOut = cli(t, dir, "", "app", "settings", "shop", "--allowed-webhooks", "https://10.0.0.5/end")
	if code == exitOK || !strings.Contains(errOut, "private") {
		t.Fatalf("admin private address: exit %d: %s", code, errOut)
	}
	out := mustCLI(t, dir, "app", "settings", "shop", "--allowed-webhooks", "https://hooks.example.com/end https://b.example.com/end")
	if !hasRow(out, "allowedWebhooks", "https://hooks.example.com/end,https://b.example.com/end set by an administrator") {
		t.Fatalf("app settings output:\n%s", out)
	}
	if status, resp := put(`{"scopeEndWebhook":"https://hooks.example.com/end"}`); status != http.StatusOK ||
		!strings.Contains(resp, `"scopeEndWebhook":"https://hooks.example.com/end"`) {
		t.Fatalf("app PUT of a listed URL: %d %s", status, resp)
	}
	if status, resp := put(`{"scopeEndWebhook":"https://evil.example.com/end"}`); status != http.StatusForbidden {
		t.Fatalf("app PUT of an unlisted URL: %d %s", status, resp)
	}
	if status, resp := put(`{"scopeEndWebhook":""}`); status != http.StatusOK {
		t.Fatalf("app PUT of none: %d %s", status, resp)
	}
	// The app declares a listed URL; an administrator then takes it off
	// the list: the app's choice is no longer used, and the CLI says why.
	if status, resp := put(`{"scopeEndWebhook":"https://b.example.com/end"}`); status != http.StatusOK {
		t.Fatalf("app PUT of a listed URL: %d %s", status, resp)
	}
	out = mustCLI(t, dir, "app", "settings", "shop", "--allowed-webhooks", "https://hooks.example.com/end")
	if !strings.Contains(out, "not used: declared by the application but not listed in allowedWebhooks") {
		t.Fatalf("app settings output does not say the declared webhook is not used:\n%s", out)
	}
	out = mustCLI(t, dir, "app", "settings", "shop", "--scope-end-webhook", "https://other.example.com/end")
	if !hasRow(out, "scopeEndWebhook", "https://other.example.com/end set by an administrator") {
		t.Fatalf("an administrator's unlisted URL:\n%s", out)
	}
}
