package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/web"
)

// instance is one scopestore served in process by httptest, wired by open
// exactly as serve wires it.
type instance struct {
	svc *services
	srv *httptest.Server
}

func startInstance(t *testing.T, dataDir string) *instance {
	t.Helper()
	cfg := defaultConfig()
	cfg.DataDir = dataDir
	cfg.CacheTTL = 0
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := open(context.Background(), &cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Options{Engine: svc.engine, Directory: svc.directory, Logger: logger}))
	t.Cleanup(func() {
		srv.Close()
		_ = svc.Close()
	})
	return &instance{svc: svc, srv: srv}
}

func (in *instance) do(t *testing.T, method, path, key, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, in.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := in.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// mustCLI runs a command line that must succeed and returns its stdout.
func mustCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	code, out, errOut := cli(t, dir, "", args...)
	if code != exitOK {
		t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// redisConnection defines a storage connection to the test Redis (through
// addr when it is not empty) under a fresh key prefix.
func redisConnection(t *testing.T, dir, name, addr string) {
	t.Helper()
	u, err := url.Parse(conntest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	if addr != "" {
		u.Host = addr
	}
	mustCLI(t, dir, "connection", "create", "--name", name, "--type", "redis", "--url", u.String(),
		"--prefix", conntest.RedisPrefix(t), "--storage", "--timeout", "2s")
}

func TestTwoInstancesShareRedis(t *testing.T) {
	dir := t.TempDir()
	redisConnection(t, dir, "SessionStorageCache", "")
	key := strings.TrimSpace(mustCLI(t, dir, "app", "create", "shop"))
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "SessionStorageCache", "--session-cluster", "true",
		"--client-storage", "sessionstoragecache", "--client-cluster", "false")
	a, b := startInstance(t, dir), startInstance(t, dir)

	// cluster = true: a save on one instance is read on the other at once.
	status, body, _ := a.do(t, "POST", "/api/v1/apps/shop/sessions", key, `{"data":{"n":1}}`)
	if status != http.StatusCreated || !strings.Contains(body, `"storage":"sessionstoragecache"`) {
		t.Fatalf("create: %d %s", status, body)
	}
	session := cfidField.FindStringSubmatch(body)[1]
	path := "/api/v1/apps/shop/sessions/" + session
	if status, body, _ = b.do(t, "GET", path, key, ""); status != http.StatusOK {
		t.Fatalf("b load: %d %s", status, body)
	}
	if status, body, _ = a.do(t, "PATCH", path, key, `{"incr":{"n":1}}`); status != http.StatusOK {
		t.Fatalf("a patch: %d %s", status, body)
	}
	if status, body, _ = b.do(t, "GET", path, key, ""); status != http.StatusOK || !strings.Contains(body, `"data":{"n":2}`) {
		t.Fatalf("b does not read a's write: %d %s", status, body)
	}
	if status, body, _ = b.do(t, "PATCH", path, key, `{"incr":{"n":1}}`); status != http.StatusOK {
		t.Fatalf("b patch: %d %s", status, body)
	}
	if status, body, _ = a.do(t, "GET", path, key, ""); !strings.Contains(body, `"data":{"n":3}`) {
		t.Fatalf("a does not read b's write: %d %s", status, body)
	}

	// cluster = false: each instance serves its own memory copy, which the
	// other's writes, announced over Redis pub/sub, make it drop.
	status, body, _ = a.do(t, "POST", "/api/v1/apps/shop/clients", key, `{"data":{"n":1}}`)
	if status != http.StatusCreated {
		t.Fatalf("create client: %d %s", status, body)
	}
	cpath := "/api/v1/apps/shop/clients/" + cfidField.FindStringSubmatch(body)[1]
	if status, body, _ = b.do(t, "GET", cpath, key, ""); !strings.Contains(body, `"data":{"n":1}`) {
		t.Fatalf("b first load reads the storage: %d %s", status, body)
	}
	if status, body, _ = a.do(t, "PUT", cpath, key, `{"data":{"n":2}}`); status != http.StatusOK {
		t.Fatalf("a save: %d %s", status, body)
	}
	seenWithin(t, b, cpath, key, `"data":{"n":2}`, time.Second)
}

// seenWithin polls GET path on in until the answer holds want, and fails
// the test when it does not within d.
func seenWithin(t *testing.T, in *instance, path, key, want string, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, body, _ := in.do(t, "GET", path, key, "")
		if strings.Contains(body, want) {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("the other instance's write is not seen after %v: %s", d, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRedisOutage(t *testing.T) {
	u, err := url.Parse(conntest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := conntest.NewProxy(t, u.Host)
	dir := t.TempDir()
	redisConnection(t, dir, "cache1", proxy.Addr())
	key := strings.TrimSpace(mustCLI(t, dir, "app", "create", "shop"))
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "cache1", "--session-cluster", "true")
	in := startInstance(t, dir)
	outage(t, in, key, proxy)
}

func TestMySQLOutage(t *testing.T) {
	dsn := conntest.MySQLDSN(t) // user@tcp(host:port)/db
	host := dsn[strings.Index(dsn, "tcp(")+4 : strings.Index(dsn, ")/")]
	proxy := conntest.NewProxy(t, host)
	dir := t.TempDir()
	mustCLI(t, dir, "connection", "create", "--name", "sstorage", "--type", "mysql", "--storage", "--timeout", "2s",
		"--dsn", strings.Replace(dsn, host, proxy.Addr(), 1))
	key := strings.TrimSpace(mustCLI(t, dir, "app", "create", "shop"))
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "sstorage", "--session-cluster", "true")
	in := startInstance(t, dir)
	outage(t, in, key, proxy)
}

// outage saves a session, cuts the storage off, and checks for 503 with
// Retry-After naming the storage and never an empty scope; then brings the
// storage back and checks the old data is served again without a restart.
func outage(t *testing.T, in *instance, key string, proxy *conntest.Proxy) {
	t.Helper()
	status, body, _ := in.do(t, "POST", "/api/v1/apps/shop/sessions", key, `{"data":{"cart":[1,2,3]}}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	path := "/api/v1/apps/shop/sessions/" + cfidField.FindStringSubmatch(body)[1]

	proxy.Stop()
	for _, m := range []struct{ method, body string }{{"GET", ""}, {"PUT", `{"data":{}}`}, {"PATCH", `{"set":{"a":1}}`}} {
		status, body, header := in.do(t, m.method, path, key, m.body)
		if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" || !strings.Contains(body, `"unavailable"`) {
			t.Fatalf("%s during the outage: %d %s (Retry-After %q)", m.method, status, body, header.Get("Retry-After"))
		}
	}
	status, body, _ = in.do(t, "POST", "/api/v1/apps/shop/sessions", key, "")
	if status != http.StatusServiceUnavailable {
		t.Fatalf("create during the outage: %d %s", status, body)
	}

	proxy.Start()
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, body, _ = in.do(t, "GET", path, key, "")
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the storage came back: %d %s", status, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(body, `"data":{"cart":[1,2,3]}`) || !strings.Contains(body, `"version":1`) {
		t.Fatalf("after recovery: %s; want the data saved before the outage", body)
	}
}

// TestKill9UnderWriteLoad kills scopestore with SIGKILL while clients are
// saving, restarts it, and checks that every save answered 200 is there.
func TestKill9UnderWriteLoad(t *testing.T) {
	storages := []struct {
		name  string
		setup func(t *testing.T, dir string) string
	}{
		{"file", func(t *testing.T, dir string) string { return "file" }},
		{"redis", func(t *testing.T, dir string) string { redisConnection(t, dir, "cache1", ""); return "cache1" }},
		{"mysql", func(t *testing.T, dir string) string {
			mustCLI(t, dir, "connection", "create", "--name", "sstorage", "--type", "mysql", "--storage", "--dsn", conntest.MySQLDSN(t))
			return "sstorage"
		}},
	}
	bin := buildBinary(t)
	for _, st := range storages {
		for _, cluster := range []string{"true", "false"} {
			t.Run(st.name+"/cluster="+cluster, func(t *testing.T) {
				dir := t.TempDir()
				storage := st.setup(t, dir)
				key := strings.TrimSpace(mustCLI(t, dir, "app", "create", "shop"))
				mustCLI(t, dir, "app", "settings", "shop", "--session-storage", storage, "--session-cluster", cluster)
				kill9UnderLoad(t, bin, dir, key)
			})
		}
	}
}

func kill9UnderLoad(t *testing.T, bin, dir, key string) {
	srv := startServer(t, bin, dir)
	const writers = 8
	paths := make([]string, writers)
	for i := range paths {
		status, body := srv.request(t, "POST", "/api/v1/apps/shop/sessions", key, "")
		if status != http.StatusCreated {
			t.Fatalf("create: %d %s", status, body)
		}
		paths[i] = "/api/v1/apps/shop/sessions/" + cfidField.FindStringSubmatch(body)[1]
	}
	acked := make([]int, writers)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	client := &http.Client{Timeout: 5 * time.Second}
	for i := range paths {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for n := 1; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("PATCH", srv.url+paths[i], strings.NewReader(`{"set":{"n":`+strconv.Itoa(n)+`}}`))
				req.Header.Set("Authorization", "Bearer "+key)
				res, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				if res.StatusCode != http.StatusOK {
					return
				}
				acked[i] = n
			}
		}(i)
	}
	time.Sleep(1500 * time.Millisecond)
	_ = srv.stop(t, syscall.SIGKILL)
	close(stop)
	wg.Wait()

	srv = startServer(t, bin, dir)
	total := 0
	for i, p := range paths {
		status, body := srv.request(t, "GET", p, key, "")
		if status != http.StatusOK {
			t.Fatalf("scope %d after kill -9: %d %s", i, status, body)
		}
		var n int
		if _, err := fmt.Sscanf(body[strings.Index(body, `"data":{"n":`)+len(`"data":{"n":`):], "%d", &n); err != nil {
			t.Fatalf("scope %d: no n in %s", i, body)
		}
		// The save in flight when the process died may or may not have landed; every answered one must have.
		if n < acked[i] || n > acked[i]+1 {
			t.Fatalf("scope %d holds n=%d, but n=%d was acknowledged", i, n, acked[i])
		}
		total += acked[i]
	}
	if total == 0 {
		t.Fatal("no save was acknowledged before the kill: the test proved nothing")
	}
	t.Logf("%d saves acknowledged before kill -9, all found after the restart", total)
	_ = srv.stop(t, syscall.SIGTERM)
}

func TestRedisTTLFollowsTheTimeout(t *testing.T) {
	dir := t.TempDir()
	u := conntest.RedisURL(t)
	prefix := conntest.RedisPrefix(t)
	mustCLI(t, dir, "connection", "create", "--name", "cache1", "--type", "redis", "--url", u, "--prefix", prefix, "--storage")
	key := strings.TrimSpace(mustCLI(t, dir, "app", "create", "shop"))
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "cache1", "--session-cluster", "true", "--session-timeout", "10m")
	in := startInstance(t, dir)
	opts, err := goredis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	defer rdb.Close()

	status, body, _ := in.do(t, "POST", "/api/v1/apps/shop/sessions", key, "")
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	cfid := cfidField.FindStringSubmatch(body)[1]
	redisKey := prefix + "{shop:session:" + cfid[:1] + "}s:" + cfid
	path := "/api/v1/apps/shop/sessions/" + cfid
	for _, step := range []struct{ method, body string }{{"PUT", `{"data":{"a":1}}`}, {"PATCH", `{"incr":{"n":1}}`}, {"POST", ""}} {
		p := path
		if step.method == "POST" {
			p += "/touch"
		}
		if status, body, _ := in.do(t, step.method, p, key, step.body); status >= 300 {
			t.Fatalf("%s: %d %s", step.method, status, body)
		}
		ttl, err := rdb.PTTL(context.Background(), redisKey).Result()
		if err != nil {
			t.Fatal(err)
		}
		// The store keeps a key one second past its expiry (see connections/redis).
		if ttl < 10*time.Minute-2*time.Second || ttl > 10*time.Minute+2*time.Second {
			t.Fatalf("after %s the key %s has TTL %v; want the 10m timeout", step.method, redisKey, ttl)
		}
	}
}

func TestMySQLExpiredRowsVanishAfterACleanerRun(t *testing.T) {
	dsn := conntest.MySQLDSN(t)
	dir := t.TempDir()
	mustCLI(t, dir, "connection", "create", "--name", "sstorage", "--type", "mysql", "--dsn", dsn, "--storage")
	key := strings.TrimSpace(mustCLI(t, dir, "app", "create", "shop"))
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "sstorage", "--session-cluster", "true", "--session-timeout", "1m")
	in := startInstance(t, dir)
	now := time.Now()
	var mu sync.Mutex
	in.svc.engine.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	for i := 0; i < 5; i++ {
		if status, body, _ := in.do(t, "POST", "/api/v1/apps/shop/sessions", key, ""); status != http.StatusCreated {
			t.Fatalf("create: %d %s", status, body)
		}
	}
	advance(2 * time.Minute)
	status, body, _ := in.do(t, "POST", "/api/v1/apps/shop/sessions", key, "")
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	live := "/api/v1/apps/shop/sessions/" + cfidField.FindStringSubmatch(body)[1]

	deleted, err := in.svc.engine.Clean(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if deleted["sstorage"] != 5 {
		t.Fatalf("the cleaner deleted %v; want the 5 expired sessions", deleted)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRow(`SELECT COUNT(*) FROM cf_session_data`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("%d rows left, %v; want the one live session", rows, err)
	}
	if status, body, _ := in.do(t, "GET", live, key, ""); status != http.StatusOK {
		t.Fatalf("the live session: %d %s", status, body)
	}
}
