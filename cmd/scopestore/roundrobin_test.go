package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/conntest"
)

// Two instances behind a round-robin balancer, with cluster = false (the
// default): each keeps its own copy of a scope, so each write must be
// checked against the stored version. The storages: Redis, MariaDB, file.
func TestRoundRobinClusterFalse(t *testing.T) {
	storages := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the storage name
	}{
		{"redis", func(t *testing.T, dir string) string { redisConnection(t, dir, "rr", ""); return "rr" }},
		{"mysql", func(t *testing.T, dir string) string {
			mustCLI(t, dir, "connection", "create", "--name", "rr", "--type", "mysql", "--storage", "--dsn", conntest.MySQLDSN(t))
			return "rr"
		}},
		{"file", func(*testing.T, string) string { return "file" }},
	}
	for _, st := range storages {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			storage := st.setup(t, dir)
			key := strings.TrimSpace(mustCLI(t, dir, "app", "create", "shop"))
			mustCLI(t, dir, "app", "settings", "shop", "--session-storage", storage, "--session-cluster", "false")
			lb := &roundRobin{instances: []*instance{startInstance(t, dir), startInstance(t, dir)}}
			concurrentIncrements(t, lb, key)
			staleIfMatch(t, lb, key)
			if st.name == "redis" {
				announced(t, lb, key)
			}
		})
	}
}

// roundRobin sends each request to the next instance, as a balancer does.
type roundRobin struct {
	instances []*instance
	next      atomic.Int64
}

func (lb *roundRobin) do(t *testing.T, method, path, key, body string) (int, string) {
	t.Helper()
	in := lb.instances[int(lb.next.Add(1))%len(lb.instances)]
	status, out, _ := in.do(t, method, path, key, body)
	return status, out
}

// scopeOf decodes a scope answer's version and data.
func scopeOf(t *testing.T, body string) (version int64, data map[string]float64) {
	t.Helper()
	var sc struct {
		Version int64              `json:"version"`
		Data    map[string]float64 `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &sc); err != nil {
		t.Fatalf("not a scope: %v: %s", err, body)
	}
	return sc.Version, sc.Data
}

// concurrentIncrements sends N PATCH incr from 8 clients through the
// balancer, with GETs between them: every acknowledged increment is in the
// stored scope, once, and the stale reads are counted.
func concurrentIncrements(t *testing.T, lb *roundRobin, key string) {
	const clients, each = 8, 25
	status, body := lb.do(t, "POST", "/api/v1/apps/shop/sessions", key, `{"data":{"n":0}}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	path := "/api/v1/apps/shop/sessions/" + cfidField.FindStringSubmatch(body)[1]
	var acked, stale, reads atomic.Int64
	var versions sync.Map // version → the client that got it
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for range each {
				if status, body := lb.do(t, "PATCH", path, key, `{"incr":{"n":1}}`); status != http.StatusOK {
					t.Errorf("PATCH: %d %s", status, body)
					return
				} else {
					v, _ := scopeOf(t, body)
					if prev, dup := versions.LoadOrStore(v, c); dup {
						t.Errorf("version %d handed out twice (clients %v and %d)", v, prev, c)
					}
					acked.Add(1)
				}
				before := acked.Load()
				status, body := lb.do(t, "GET", path, key, "")
				if status != http.StatusOK {
					t.Errorf("GET: %d %s", status, body)
					return
				}
				// Versions count the writes: 1 for the create, one per increment.
				if v, _ := scopeOf(t, body); v-1 < before {
					stale.Add(1)
				}
				reads.Add(1)
			}
		})
	}
	wg.Wait()
	// Each instance's next write is checked against the storage: a PATCH
	// through both shows the stored count.
	var n float64
	for range lb.instances {
		status, body := lb.do(t, "PATCH", path, key, `{"incr":{"n":0}}`)
		if status != http.StatusOK {
			t.Fatalf("final PATCH: %d %s", status, body)
		}
		_, data := scopeOf(t, body)
		n = data["n"]
	}
	if want := float64(acked.Load()); n != want {
		t.Errorf("the stored count is %v after %v acknowledged increments: %v lost", n, want, want-n)
	}
	t.Logf("%d acknowledged increments through 2 instances, none lost; %d of %d GETs were stale (cluster = false serves each instance's copy)",
		acked.Load(), stale.Load(), reads.Load())
}

// staleIfMatch: a PUT with If-Match of a version that another instance
// has moved past gets 412 and changes nothing; a PUT without If-Match
// replaces (last write wins).
func staleIfMatch(t *testing.T, lb *roundRobin, key string) {
	a, b := lb.instances[0], lb.instances[1]
	status, body, _ := a.do(t, "POST", "/api/v1/apps/shop/sessions", key, `{"data":{"n":1}}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	path := "/api/v1/apps/shop/sessions/" + cfidField.FindStringSubmatch(body)[1]
	if status, body, _ = b.do(t, "GET", path, key, ""); status != http.StatusOK {
		t.Fatalf("b GET: %d %s", status, body)
	}
	v, _ := scopeOf(t, body)
	if status, body, _ = a.do(t, "PATCH", path, key, `{"set":{"by":"a"}}`); status != http.StatusOK {
		t.Fatalf("a PATCH: %d %s", status, body)
	}
	status, body = putIfMatch(t, b, path, key, `{"data":{"by":"b"}}`, v)
	if status != http.StatusPreconditionFailed {
		t.Errorf("b PUT with the stale If-Match %d: %d %s; want 412", v, status, body)
	}
	if status, body, _ = a.do(t, "PATCH", path, key, `{"incr":{"n":0}}`); !strings.Contains(body, `"by":"a"`) {
		t.Errorf("after a refused PUT the scope is %d %s; want a's write kept", status, body)
	}
	if status, body, _ = b.do(t, "PUT", path, key, `{"data":{"by":"b"}}`); status != http.StatusOK {
		t.Errorf("b PUT without If-Match: %d %s; want 200 (last write wins)", status, body)
	}
	if _, body, _ = a.do(t, "PATCH", path, key, `{"incr":{"n":0}}`); !strings.Contains(body, `"data":{"by":"b","n":0}`) {
		t.Errorf("after b's PUT a writes on %s; want b's data", body)
	}
}

func putIfMatch(t *testing.T, in *instance, path, key, body string, version int64) (int, string) {
	t.Helper()
	req, err := http.NewRequest("PUT", in.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("If-Match", fmt.Sprintf(`"%d"`, version))
	res, err := in.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

// announced: on Redis, an instance's write reaches the other's copy within a
// second, announced over pub/sub.
func announced(t *testing.T, lb *roundRobin, key string) {
	a, b := lb.instances[0], lb.instances[1]
	status, body, _ := a.do(t, "POST", "/api/v1/apps/shop/sessions", key, `{"data":{"n":1}}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	path := "/api/v1/apps/shop/sessions/" + cfidField.FindStringSubmatch(body)[1]
	if status, body, _ = b.do(t, "GET", path, key, ""); status != http.StatusOK {
		t.Fatalf("b GET: %d %s", status, body)
	}
	for i := 2; i <= 6; i++ {
		if status, body, _ = a.do(t, "PATCH", path, key, `{"incr":{"n":1}}`); status != http.StatusOK {
			t.Fatalf("a PATCH: %d %s", status, body)
		}
		took := seenWithin(t, b, path, key, fmt.Sprintf(`"data":{"n":%d}`, i), time.Second)
		t.Logf("b saw a's write %d after %v", i, took)
	}
	// An invalidation is announced too: b's copy goes.
	if status, body, _ = a.do(t, "DELETE", path, key, ""); status != http.StatusNoContent {
		t.Fatalf("a DELETE: %d %s", status, body)
	}
	took := seenWithin(t, b, path, key, `"not_found"`, time.Second)
	t.Logf("b saw a's invalidation after %v", took)
}
