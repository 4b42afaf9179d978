package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
)

// lockStorages are the storages the lock tests run on; memory stands for
// one instance only, so its two servers share one registry (one process).
var lockStorages = []struct {
	name string
	conn func(t *testing.T) []scopes.Connection
}{
	{"memory", func(*testing.T) []scopes.Connection { return nil }},
	{"redis", func(t *testing.T) []scopes.Connection {
		return []scopes.Connection{{Name: "shared", Kind: "cache", Type: "redis", Storage: true,
			Params: map[string]string{"url": conntest.RedisURL(t), "prefix": conntest.RedisPrefix(t)}}}
	}},
	{"mysql", func(t *testing.T) []scopes.Connection {
		return []scopes.Connection{{Name: "shared", Kind: "datasource", Type: "mysql", Storage: true,
			Params: map[string]string{"dsn": conntest.MySQLDSN(t)}}}
	}},
	{"postgres", func(t *testing.T) []scopes.Connection {
		return []scopes.Connection{{Name: "shared", Kind: "datasource", Type: "postgres", Storage: true,
			Params: map[string]string{"url": conntest.PostgresURL(t)}}}
	}},
}

// newLockPair serves the API twice over one config store, as two
// instances of scopestore behind a balancer: each with its own registry,
// engine and directory (so its own connections to the shared storage),
// except over memory, where the two share the process's registry. It
// returns both and the key of app "shop", whose sessions (cluster = true)
// and locks live in the storage under test.
func newLockPair(t *testing.T, conns []scopes.Connection) ([2]*testAPI, string) {
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
	t.Cleanup(func() { _ = cs.Close() })
	var shared *countingStorages
	var apis [2]*testAPI
	for i := range apis {
		reg := shared
		if reg == nil {
			reg = &countingStorages{Registry: connections.NewRegistry(dataDir, cs)}
			t.Cleanup(func() { _ = reg.Close() })
			if len(conns) == 0 {
				shared = reg
			}
		}
		dir := scopes.NewDirectory(cs, reg)
		dir.CacheTTL = 0
		clk := &clock{now: time.Now()}
		eng := scopes.NewEngine(reg)
		eng.Now = time.Now
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		srv := httptest.NewServer(web.New(web.Options{Engine: eng, Directory: dir, Logger: logger}))
		t.Cleanup(srv.Close)
		apis[i] = &testAPI{t: t, srv: srv, dir: dir, engine: eng, storages: reg, clock: clk}
	}
	settings := map[string]string{"sessionCluster": "true"}
	if len(conns) > 0 {
		settings["sessionStorage"] = conns[0].Name
		settings["lockStorage"] = conns[0].Name
		settings["applicationStorage"] = conns[0].Name
	}
	return apis, apis[0].app("shop", settings)
}

const lockPath = "/api/v1/apps/shop/locks/"

// call sends a request from any goroutine; it fails with an error, never
// the test, so that workers can report what went wrong.
func call(a *testAPI, method, path, key, body string, headers ...string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := a.srv.Client().Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}, err
}

// lockAnswer is a 201's body.
type lockAnswer struct {
	Token   string    `json:"token"`
	Fence   int64     `json:"fence"`
	Expires time.Time `json:"expires"`
}

// lock takes a lock and returns the answer; the status must be 201.
func lock(t *testing.T, a *testAPI, key, name, body string) lockAnswer {
	t.Helper()
	r := a.do("POST", lockPath+name, key, body)
	mustStatus(t, r, http.StatusCreated)
	var l lockAnswer
	if err := json.Unmarshal(r.body, &l); err != nil || l.Token == "" || l.Fence <= 0 || l.Expires.IsZero() {
		t.Fatalf("lock answer %s: %v", r.body, err)
	}
	return l
}

// Two instances × 8 workers each run lock counter → GET → PUT n+1 (no
// If-Match) → unlock: the lock alone keeps every increment, so the count
// is exact. The counter is in the application scope (the PUT carries the
// lock's fence, If-Fence, which a holder of the lock always passes) and,
// without the fence, in a session. -short runs fewer iterations, the same
// way.
func TestLockCounter(t *testing.T) {
	for _, st := range lockStorages {
		for _, subject := range []string{"application", "session"} {
			t.Run(st.name+"/"+subject, func(t *testing.T) {
				// The storages run side by side: each run waits on its own
				// lock's round trips far more than it uses the CPU.
				t.Parallel()
				lockCounter(t, st.conn(t), subject)
			})
		}
	}
}

func lockCounter(t *testing.T, conns []scopes.Connection, subject string) {
	apis, key := newLockPair(t, conns)
	iterations := 200
	if testing.Short() {
		iterations = 20
	}
	const workers = 8
	path, fenced := "/api/v1/apps/shop/application", true
	if subject == "session" {
		path, fenced = "/api/v1/apps/shop/sessions/"+apis[0].create("shop", key, "sessions"), false
	}
	mustStatus(t, apis[0].do("PUT", path, key, `{"data":{"n":0}}`), http.StatusOK)

	var locked atomic.Int64
	errs := make(chan error, 2*workers)
	var wg sync.WaitGroup
	start := time.Now()
	for _, a := range apis {
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- counterWorker(a, key, path, fenced, iterations, &locked)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r := apis[1].do("GET", path, key, "")
	mustStatus(t, r, http.StatusOK)
	want := float64(2 * workers * iterations)
	if n := r.data(t)["n"]; n != want {
		t.Fatalf("n = %v after %v locked increments, want %v", n, want, want)
	}
	t.Logf("%v increments in %v (%d timeouts retried)", want, time.Since(start).Round(time.Millisecond), locked.Load())
}

func counterWorker(a *testAPI, key, path string, fenced bool, iterations int, locked *atomic.Int64) error {
	for i := 0; i < iterations; i++ {
		r, err := call(a, "POST", lockPath+"counter", key, `{"type":"exclusive","timeout":"30s","lease":"30s"}`)
		if err != nil {
			return err
		}
		if r.status == http.StatusLocked {
			locked.Add(1)
			i--
			continue
		}
		if r.status != http.StatusCreated {
			return fmt.Errorf("lock: %d %s", r.status, r.body)
		}
		var l lockAnswer
		if err := json.Unmarshal(r.body, &l); err != nil {
			return err
		}
		if r, err = call(a, "GET", path, key, ""); err != nil {
			return err
		} else if r.status != http.StatusOK {
			return fmt.Errorf("get: %d %s", r.status, r.body)
		}
		var sc struct {
			Data struct {
				N int `json:"n"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.body, &sc); err != nil {
			return err
		}
		body := fmt.Sprintf(`{"data":{"n":%d}}`, sc.Data.N+1)
		var fence []string
		if fenced {
			fence = []string{"If-Fence", strconv.FormatInt(l.Fence, 10)}
		}
		if r, err = call(a, "PUT", path, key, body, fence...); err != nil {
			return err
		} else if r.status != http.StatusOK {
			return fmt.Errorf("put: %d %s", r.status, r.body)
		}
		if r, err = call(a, "DELETE", lockPath+"counter", key, "", "Lock-Token", l.Token); err != nil {
			return err
		} else if r.status != http.StatusNoContent {
			return fmt.Errorf("unlock: %d %s", r.status, r.body)
		}
	}
	return nil
}

// Readonly holders on both instances overlap; an exclusive request waits
// for them, and while it waits a new readonly request waits too, so a
// stream of readers cannot starve it. A request whose timeout passes gets
// 423 naming the lock and its holder.
func TestLockReadersAndWriter(t *testing.T) {
	for _, st := range lockStorages {
		t.Run(st.name, func(t *testing.T) {
			apis, key := newLockPair(t, st.conn(t))
			a, b := apis[0], apis[1]
			r1 := lock(t, a, key, "page", `{"type":"readonly","timeout":"0","lease":"30s"}`)
			r2 := lock(t, b, key, "page", `{"type":"readonly","timeout":"0","lease":"30s"}`)

			// Held readonly: an exclusive request that tries once is refused.
			r := b.do("POST", lockPath+"page", key, `{"type":"exclusive","timeout":"0"}`)
			mustStatus(t, r, http.StatusLocked)
			if code := r.errorCode(t); code != scopes.ELocked {
				t.Fatalf("code %q, want %q", code, scopes.ELocked)
			}
			if msg := string(r.body); !strings.Contains(msg, `\"page\"`) || !strings.Contains(msg, "readonly") {
				t.Fatalf("423 message does not name the lock and its holder: %s", msg)
			}

			// An exclusive request waits for the readers.
			got := make(chan response, 1)
			go func() {
				r, _ := call(b, "POST", lockPath+"page", key, `{"type":"exclusive","timeout":"30s","lease":"30s"}`)
				got <- r
			}()
			// Once it waits, a new reader waits behind it (and gives up).
			var refused bool
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				r := a.do("POST", lockPath+"page", key, `{"type":"readonly","timeout":"0"}`)
				if r.status == http.StatusLocked {
					if !strings.Contains(string(r.body), "exclusive request is waiting") {
						t.Fatalf("a reader behind a waiting writer was told: %s", r.body)
					}
					refused = true
					break
				}
				mustStatus(t, r, http.StatusCreated)
				var l lockAnswer
				_ = json.Unmarshal(r.body, &l)
				mustStatus(t, a.do("DELETE", lockPath+"page", key, "", "Lock-Token", l.Token), http.StatusNoContent)
			}
			if !refused {
				t.Fatal("new readers still got the lock while an exclusive request waited")
			}
			select {
			case r := <-got:
				t.Fatalf("the exclusive request did not wait for the readers: %d %s", r.status, r.body)
			default:
			}
			mustStatus(t, a.do("DELETE", lockPath+"page", key, "", "Lock-Token", r1.Token), http.StatusNoContent)
			mustStatus(t, b.do("DELETE", lockPath+"page", key, "", "Lock-Token", r2.Token), http.StatusNoContent)
			var w lockAnswer
			select {
			case r := <-got:
				mustStatus(t, r, http.StatusCreated)
				_ = json.Unmarshal(r.body, &w)
			case <-time.After(20 * time.Second):
				t.Fatal("the exclusive request did not get the lock after the readers left")
			}
			if w.Fence <= r2.Fence || r2.Fence <= r1.Fence {
				t.Fatalf("fences %d, %d, then %d: they must grow", r1.Fence, r2.Fence, w.Fence)
			}

			// Held exclusive: a reader with a timeout gets 423 once it passes.
			t0 := time.Now()
			r = a.do("POST", lockPath+"page", key, `{"type":"readonly","timeout":"300ms"}`)
			mustStatus(t, r, http.StatusLocked)
			if el := time.Since(t0); el < 300*time.Millisecond || el > 15*time.Second {
				t.Fatalf("423 after %v for a timeout of 300ms", el)
			}
			if !strings.Contains(string(r.body), "held exclusive") {
				t.Fatalf("423 does not say the lock is held exclusive: %s", r.body)
			}
			mustStatus(t, b.do("DELETE", lockPath+"page", key, "", "Lock-Token", w.Token), http.StatusNoContent)
		})
	}
}

// A holder that vanishes (takes the lock with a 1s lease and never comes
// back) loses it when the lease ends; its token is then refused with 409.
// Renewal extends a lease; fences grow across both instances.
func TestLockLeaseRenewFence(t *testing.T) {
	for _, st := range lockStorages {
		t.Run(st.name, func(t *testing.T) {
			apis, key := newLockPair(t, st.conn(t))
			a, b := apis[0], apis[1]
			gone := lock(t, a, key, "job", `{"type":"exclusive","timeout":"0","lease":"1s"}`)
			next := lock(t, b, key, "job", `{"type":"exclusive","timeout":"20s","lease":"30s"}`)
			if next.Fence <= gone.Fence {
				t.Fatalf("fence %d after %d", next.Fence, gone.Fence)
			}
			// The new holder writes the application scope under its fence;
			// the old one, whose lease ran out, is refused on the other
			// instance, and its write changes nothing.
			const app = "/api/v1/apps/shop/application"
			mustStatus(t, b.do("PUT", app, key, `{"data":{"by":"next"}}`, "If-Fence", strconv.FormatInt(next.Fence, 10)), http.StatusOK)
			mustStatus(t, a.do("PATCH", app, key, `{"set":{"by":"gone"}}`, "If-Fence", strconv.FormatInt(gone.Fence, 10)), http.StatusPreconditionFailed)
			if r := a.do("GET", app, key, ""); r.data(t)["by"] != "next" || r.json(t)["fence"] != float64(next.Fence) {
				t.Fatalf("after a write under a stale fence: %s", r.body)
			}
			for _, m := range []string{"DELETE", "POST"} {
				path := lockPath + "job"
				if m == "POST" {
					path += "/renew"
				}
				r := a.do(m, path, key, "", "Lock-Token", gone.Token)
				mustStatus(t, r, http.StatusConflict)
				if r.errorCode(t) != scopes.EConflict {
					t.Fatalf("%s with an expired token: %s", m, r.body)
				}
			}
			// Renewal: the lease runs from the renewal.
			r := b.do("POST", lockPath+"job/renew", key, `{"lease":"5m"}`, "Lock-Token", next.Token)
			mustStatus(t, r, http.StatusOK)
			var renewed lockAnswer
			_ = json.Unmarshal(r.body, &renewed)
			if !renewed.Expires.After(next.Expires) {
				t.Fatalf("renewed to %v, before the lease's end %v", renewed.Expires, next.Expires)
			}
			mustStatus(t, a.do("POST", lockPath+"job", key, `{"type":"exclusive","timeout":"0"}`), http.StatusLocked)
			mustStatus(t, b.do("DELETE", lockPath+"job", key, "", "Lock-Token", next.Token), http.StatusNoContent)
			// Released: the same token again is 409.
			mustStatus(t, b.do("DELETE", lockPath+"job", key, "", "Lock-Token", next.Token), http.StatusConflict)

			// Fences grow strictly, whichever instance takes the lock.
			last := next.Fence
			for i := 0; i < 10; i++ {
				inst := apis[i%2]
				l := lock(t, inst, key, "job", `{"type":"exclusive","timeout":"5s"}`)
				if l.Fence <= last {
					t.Fatalf("fence %d after %d", l.Fence, last)
				}
				last = l.Fence
				mustStatus(t, inst.do("DELETE", lockPath+"job", key, "", "Lock-Token", l.Token), http.StatusNoContent)
			}
			// A lock named after a session, cflock scope="session".
			s := lock(t, a, key, "session:0f8fad5b-d9cb-469f-a165-70867728950e", `{"type":"exclusive","timeout":"0"}`)
			mustStatus(t, b.do("POST", lockPath+"session:0f8fad5b-d9cb-469f-a165-70867728950e", key, `{"type":"readonly","timeout":"0"}`), http.StatusLocked)
			mustStatus(t, b.do("DELETE", lockPath+"session:0f8fad5b-d9cb-469f-a165-70867728950e", key, "", "Lock-Token", s.Token), http.StatusNoContent)
		})
	}
}

// Bad input is refused with 400 before any storage is touched, and takes
// no lock and no fence; a token that holds nothing is 409.
func TestLockBadInput(t *testing.T) {
	for _, st := range lockStorages {
		t.Run(st.name, func(t *testing.T) {
			apis, key := newLockPair(t, st.conn(t))
			a := apis[0]
			long := strings.Repeat("n", scopes.MaxLockName+1)
			bad := []struct{ name, path, body string }{
				{"not JSON", "x", `{"type":`},
				{"unknown type", "x", `{"type":"shared"}`},
				{"unknown field", "x", `{"type":"exclusive","wait":"5s"}`},
				{"timeout unparsable", "x", `{"type":"exclusive","timeout":"forever"}`},
				{"timeout negative", "x", `{"type":"exclusive","timeout":"-1s"}`},
				{"timeout too long", "x", `{"type":"exclusive","timeout":"31s"}`},
				{"timeout not a duration", "x", `{"type":"exclusive","timeout":true}`},
				{"lease too short", "x", `{"type":"exclusive","lease":"500ms"}`},
				{"lease too long", "x", `{"type":"exclusive","lease":"11m"}`},
				{"lease unparsable", "x", `{"type":"exclusive","lease":"1 hour"}`},
				{"name too long", long, `{"type":"exclusive"}`},
				{"control character", "a%01b", `{"type":"exclusive"}`},
			}
			for _, c := range bad {
				r := a.do("POST", lockPath+c.path, key, c.body)
				if r.status != http.StatusBadRequest || r.errorCode(t) != scopes.EInvalid {
					t.Errorf("%s: %d %s; want 400 invalid", c.name, r.status, r.body)
				}
			}
			for _, m := range []string{"DELETE", "POST"} {
				path := lockPath + "x"
				if m == "POST" {
					path += "/renew"
				}
				mustStatus(t, a.do(m, path, key, ""), http.StatusBadRequest)
				mustStatus(t, a.do(m, path, key, "", "Lock-Token", "nonsense"), http.StatusConflict)
				mustStatus(t, a.do(m, path, key, "", "Lock-Token", scopes.NewLockToken(time.Now())), http.StatusConflict)
			}
			mustStatus(t, a.do("POST", lockPath+"x/renew", key, `{"lease":"1h"}`, "Lock-Token", scopes.NewLockToken(time.Now())), http.StatusBadRequest)
			// Nothing was taken: the lock is free, and this is its first
			// fence (memory counts one fence for all its locks, also
			// untouched so far).
			l := lock(t, a, key, "x", `{"type":"exclusive","timeout":"0"}`)
			if l.Fence != 1 {
				t.Fatalf("fence %d after only bad requests, want 1", l.Fence)
			}
			mustStatus(t, a.do("DELETE", lockPath+"x", key, "", "Lock-Token", l.Token), http.StatusNoContent)
			// No body, or no type: an exclusive lock, as cflock's default.
			for _, body := range []string{"", `{}`} {
				r := a.do("POST", lockPath+"x", key, body)
				mustStatus(t, r, http.StatusCreated)
				var got lockAnswer
				_ = json.Unmarshal(r.body, &got)
				if !strings.Contains(string(r.body), `"type":"exclusive"`) {
					t.Fatalf("a lock of no type: %s", r.body)
				}
				mustStatus(t, a.do("DELETE", lockPath+"x", key, "", "Lock-Token", got.Token), http.StatusNoContent)
			}
			// A name escaped in the path is the same name however it is
			// escaped; a "%" in a name stays one.
			for _, n := range []struct {
				sent, other string
				same        bool
			}{{"x%3Ay", "x:y", true}, {"a%20b", "a b", true}, {"100%25", "100%2525", false}} {
				held := lock(t, a, key, n.sent, `{"timeout":"0"}`)
				other := a.do("POST", lockPath+n.other, key, `{"timeout":"0"}`)
				if n.same {
					mustStatus(t, other, http.StatusLocked)
				} else {
					// "100%25" is another name than "100%".
					mustStatus(t, other, http.StatusCreated)
				}
				mustStatus(t, a.do("DELETE", lockPath+n.sent, key, "", "Lock-Token", held.Token), http.StatusNoContent)
			}
			// A name up to the limit, in any script, is fine.
			name := strings.Repeat("é", scopes.MaxLockName)
			lock(t, a, key, name, `{"type":"readonly","timeout":"0","lease":1}`)
			// lockStorage must name a storage that can hold locks.
			if _, err := a.dir.SetAppSettings(context.Background(), "shop", map[string]string{"lockStorage": "file"}); scopes.ErrorCode(err) != scopes.EInvalidSettings {
				t.Fatalf("lockStorage file: %v, want invalid_settings", err)
			}
		})
	}
}

// TestLockAnswerPretty checks that ?pretty indents a lock's answer, as it
// did before the answer was written by hand, and that the plain answer is
// one line.
func TestLockAnswerPretty(t *testing.T) {
	apis, key := newLockPair(t, nil)
	a := apis[0]
	r := a.do("POST", lockPath+"p?pretty", key, `{"timeout":"0"}`)
	mustStatus(t, r, http.StatusCreated)
	if !bytes.Contains(r.body, []byte("{\n  \"name\": \"p\",")) {
		t.Errorf("?pretty answered %s, want it indented", r.body)
	}
	r = a.do("POST", lockPath+"q", key, `{"timeout":"0"}`)
	mustStatus(t, r, http.StatusCreated)
	if bytes.Count(r.body, []byte("\n")) != 1 || !bytes.HasPrefix(r.body, []byte(`{"name":"q","type":"exclusive","token":"`)) {
		t.Errorf("the plain answer is %s, want one line", r.body)
	}
}
