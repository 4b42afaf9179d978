package client_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
	"github.com/scopestore/scopestore/web/client"
)

// The loopback ports these tests may use: servers take the first free one
// of 18300–18389; 18390 is the Redis server that the outage test stops,
// 18391 stays closed.
const (
	firstPort  = 18300
	lastPort   = 18389
	outagePort = 18390
	// closedPort is never listened on: a server that is down.
	closedPort = 18391
	// rotateGrace is the servers' --rotate-grace, short so that a test can wait it out.
	rotateGrace = time.Second
)

var portMu sync.Mutex

// listen returns a listener on the first free loopback port of the range.
func listen(tb testing.TB) net.Listener {
	tb.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for p := firstPort; p <= lastPort; p++ {
		if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			return ln
		}
	}
	tb.Fatalf("no free loopback port in %d–%d", firstPort, lastPort)
	return nil
}

// serve starts h on a port of the range, closed when the test ends.
func serve(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	_ = srv.Listener.Close()
	srv.Listener = listen(tb)
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv
}

// backend is one way to run the server under test.
type backend struct {
	name string
	// storage prepares the storage and returns its name for the settings.
	storage func(t testing.TB, mgr *connections.Manager) string
}

// backends are memory, and Redis with cluster = true (skipped, with a
// message, when no Redis answers, unless SCOPESTORE_TEST_REQUIRE_SERVICES=1).
var backends = []backend{
	{"memory", func(testing.TB, *connections.Manager) string { return "memory" }},
	{"redis", func(t testing.TB, mgr *connections.Manager) string {
		return redisConnection(t, mgr, conntest.RedisURL(t))
	}},
}

// redisConnection defines a Redis storage connection under a key prefix of
// this test's own.
func redisConnection(t testing.TB, mgr *connections.Manager, url string) string {
	t.Helper()
	err := mgr.Create(context.Background(), scopes.Connection{Name: "cache", Kind: "cache", Type: "redis", Storage: true,
		Params: map[string]string{"url": url, "prefix": conntest.RedisPrefix(t), "timeout": "1s"}})
	if err != nil {
		t.Fatal(err)
	}
	return "cache"
}

// testServer is scopestore's runtime API in process, wired as
// cmd/scopestore/serve.go wires it, with one app "shop".
type testServer struct {
	URL    string
	Key    string
	engine *scopes.Engine
	dir    *scopes.Directory
}

// startServer serves the API with the app's scopes in the backend's storage,
// cluster = true.
func startServer(t testing.TB, b backend) *testServer {
	t.Helper()
	ctx := context.Background()
	dataDir := t.TempDir()
	cs, err := configstore.Open(ctx, "", dataDir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg := connections.NewRegistry(dataDir, cs)
	dir := scopes.NewDirectory(cs, reg)
	mgr := connections.NewManager(cs, reg, dir)
	eng := scopes.NewEngine(reg)
	eng.MaxScopeSize = 1 << 20
	eng.RotateGrace = rotateGrace
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng.Logger = logger
	t.Cleanup(func() {
		_ = reg.Close()
		_ = cs.Close()
	})
	storage := b.storage(t, mgr)
	key, err := dir.CreateApp(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dir.SetAppSettings(ctx, "shop", map[string]string{
		"sessionStorage": storage, "sessionCluster": "true",
		"clientStorage": storage, "clientCluster": "true",
	}); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, web.New(web.Options{Engine: eng, Directory: dir, Logger: logger}))
	return &testServer{URL: srv.URL, Key: key, engine: eng, dir: dir}
}

// newClient returns a Client of the app "shop" on ts, logging into the test.
func newClient(t testing.TB, ts *testServer, opts ...client.Option) *client.Client {
	t.Helper()
	opts = append([]client.Option{client.WithLogger(testLogger(t))}, opts...)
	c, err := client.New(ts.URL, "shop", ts.Key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// testLogger writes the client's log lines into the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(b)))
	return len(b), nil
}

// forEachBackend runs the test on every backend, in parallel.
func forEachBackend(t *testing.T, test func(t *testing.T, ts *testServer)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, startServer(t, b))
		})
	}
}

// redisServer is a redis-server of the test's own on outagePort, so that
// the test can stop it.
type redisServer struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startRedis starts redis-server on outagePort, without persistence; it is
// skipped (or failed, when services are required) without the binary.
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(conntest.EnvRequireServices) == "1" {
			t.Fatalf("redis-server not found (%s=1 requires it): %v", conntest.EnvRequireServices, err)
		}
		t.Skipf("redis-server not found: skipping the outage test: %v", err)
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(outagePort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rs := &redisServer{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(rs.done) }()
	t.Cleanup(rs.stop)
	addr := fmt.Sprintf("127.0.0.1:%d", outagePort)
	for deadline := time.Now().Add(5 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not listen on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server it started and waits for it to end.
func (rs *redisServer) stop() {
	select {
	case <-rs.done:
		return
	default:
	}
	_ = rs.cmd.Process.Kill()
	<-rs.done
}
