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
	"sync/atomic"
	"testing"

	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
)

// The API's hot path as an application drives it: a load at the start of a
// request and a save at the end, with a 2 KiB scope, on the memory storage,
// with the real config store (SQLite) and the directory's cache on (its
// default TTL), as scopestore serves. Profile it with
//
//	go test -run '^$' -bench APICycle -cpuprofile cpu.out ./web && go tool pprof -top web.test cpu.out

// benchDataSize is the size of the scope data, as scopebench's -size.
const benchDataSize = 2048

// benchSessionData returns a JSON object of about size bytes that looks like
// a session.
func benchSessionData(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"user":{"id":48213,"name":"Ann Example","roles":["customer","beta"]},"flags":{"lang":"en","theme":"dark"},"cart":[`)
	for i := 0; b.Len() < size*3/4; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"sku":"SKU-` + strconv.Itoa(1000+i) + `","qty":2,"price":9.99}`)
	}
	b.WriteString(`],"pad":"`)
	b.WriteString(strings.Repeat("x", max(0, size-b.Len()-2)))
	b.WriteString(`"}`)
	return []byte(b.String())
}

// benchAPI is the runtime API as scopestore serves it, without a network.
type benchAPI struct {
	h   http.Handler
	key string
	put []byte
}

func newBenchAPI(b *testing.B, settings map[string]string, conns ...scopes.Connection) *benchAPI {
	b.Helper()
	ctx := context.Background()
	dataDir := b.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The config store logs its migrations to the default logger, which
	// would split the benchmark's result line.
	prev := slog.Default()
	slog.SetDefault(logger)
	cs, err := configstore.Open(ctx, "", dataDir, bytes.Repeat([]byte{7}, 32))
	slog.SetDefault(prev)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range conns {
		if err := cs.CreateConnection(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	reg := connections.NewRegistry(dataDir, cs)
	dir := scopes.NewDirectory(cs, reg)
	eng := scopes.NewEngine(reg)
	eng.Logger = logger
	b.Cleanup(func() {
		_ = reg.Close()
		_ = cs.Close()
	})
	key, err := dir.CreateApp(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	if len(settings) > 0 {
		if _, err := dir.SetAppSettings(ctx, "bench", settings); err != nil {
			b.Fatal(err)
		}
	}
	put := append(append([]byte(`{"data":`), benchSessionData(benchDataSize)...), '}')
	return &benchAPI{h: web.New(web.Options{Engine: eng, Directory: dir, Logger: logger}), key: key, put: put}
}

// serve sends one request through the router; an answer other than want
// is an error.
func (a *benchAPI) serve(method, path string, body []byte, want int) (*httptest.ResponseRecorder, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+a.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	if rec.Code != want {
		return rec, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, rec.Code, want, rec.Body.Bytes())
	}
	return rec, nil
}

// cycle is one load and one save of the scope at path.
func (a *benchAPI) cycle(path string) error {
	if _, err := a.serve("GET", path, nil, http.StatusOK); err != nil {
		return err
	}
	_, err := a.serve("PUT", path, a.put, http.StatusOK)
	return err
}

// create makes a session with the 2 KiB data and returns its path.
func (a *benchAPI) create() (string, error) {
	rec, err := a.serve("POST", "/api/v1/apps/bench/sessions", a.put, http.StatusCreated)
	if err != nil {
		return "", err
	}
	var sc struct {
		CFID string `json:"cfid"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &sc); err != nil {
		return "", err
	}
	return "/api/v1/apps/bench/sessions/" + sc.CFID, nil
}

func (a *benchAPI) mustCreate(b *testing.B) string {
	b.Helper()
	path, err := a.create()
	if err != nil {
		b.Fatal(err)
	}
	return path
}

// benchVariant is a storage setup of the API benchmarks.
type benchVariant struct {
	name     string
	settings map[string]string
	// redis makes the variant use a Redis connection "r" on the test
	// server (SCOPESTORE_TEST_REDIS); it skips without one.
	redis bool
}

var benchVariants = []benchVariant{
	{name: "memory"},
	// cluster = false on the file storage: loads come from the in-memory
	// tier, saves are written through to SQLite.
	{name: "file-local", settings: map[string]string{"sessionStorage": "file", "sessionCluster": "false"}},
	{name: "redis-cluster", settings: map[string]string{"sessionStorage": "r", "sessionCluster": "true"}, redis: true},
	{name: "redis-local", settings: map[string]string{"sessionStorage": "r", "sessionCluster": "false"}, redis: true},
}

func (v benchVariant) api(b *testing.B) *benchAPI {
	b.Helper()
	if !v.redis {
		return newBenchAPI(b, v.settings)
	}
	return newBenchAPI(b, v.settings, scopes.Connection{Name: "r", Kind: "cache", Type: "redis", Storage: true,
		Params: map[string]string{"url": conntest.RedisURL(b), "prefix": conntest.RedisPrefix(b)}})
}

// BenchmarkAPICycle is one load and one save of a 2 KiB session through the
// echo router.
func BenchmarkAPICycle(b *testing.B) {
	for _, v := range benchVariants {
		b.Run(v.name, func(b *testing.B) {
			a := v.api(b)
			path := a.mustCreate(b)
			b.ReportAllocs()
			for b.Loop() {
				if err := a.cycle(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAPICycleParallel runs the memory cycle from GOMAXPROCS
// goroutines, each on its own scope, to show contention.
func BenchmarkAPICycleParallel(b *testing.B) {
	a := newBenchAPI(b, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		path, err := a.create()
		for err == nil && pb.Next() {
			err = a.cycle(path)
		}
		if err != nil {
			b.Error(err)
		}
	})
}

// BenchmarkAPILoad and BenchmarkAPISave split the cycle.
func BenchmarkAPILoad(b *testing.B) {
	a := newBenchAPI(b, nil)
	path := a.mustCreate(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.serve("GET", path, nil, http.StatusOK); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAPISave(b *testing.B) {
	a := newBenchAPI(b, nil)
	path := a.mustCreate(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.serve("PUT", path, a.put, http.StatusOK); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAPIPatch is one PATCH incr of a counter in a 2 KiB session.
func BenchmarkAPIPatch(b *testing.B) {
	a := newBenchAPI(b, nil)
	path := a.mustCreate(b)
	incr := []byte(`{"incr":{"hits":1}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.serve("PATCH", path, incr, http.StatusOK); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAPICycleHTTP is the memory cycle over a real loopback connection
// (httptest.Server, keep-alive), from 16 concurrent clients: the router, the
// handlers and net/http's server and client together, as scopebench sees
// them.
func BenchmarkAPICycleHTTP(b *testing.B) {
	a := newBenchAPI(b, nil)
	srv := httptest.NewServer(a.h)
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	var failed atomic.Value
	do := func(method, url string, body []byte) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, _ := http.NewRequest(method, url, rd)
		req.Header.Set("Authorization", "Bearer "+a.key)
		res, err := client.Do(req)
		if err != nil {
			failed.Store(err.Error())
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			failed.Store(method + " " + res.Status)
		}
	}
	b.ReportAllocs()
	b.SetParallelism(8) // 8 × GOMAXPROCS clients
	b.RunParallel(func(pb *testing.PB) {
		path, err := a.create()
		if err != nil {
			b.Error(err)
			return
		}
		url := srv.URL + path
		for pb.Next() {
			do("GET", url, nil)
			do("PUT", url, a.put)
		}
	})
	if f := failed.Load(); f != nil {
		b.Fatal(f)
	}
}

// BenchmarkAPILock is an uncontended exclusive lock and its release, in
// the memory lock storage, through the echo router: the API's own work on
// the lock-redis scenario's requests.
func BenchmarkAPILock(b *testing.B) {
	a := newBenchAPI(b, nil)
	body := []byte(`{"type":"exclusive","timeout":"0","lease":"30s"}`)
	const path = "/api/v1/apps/bench/locks/counter"
	b.ReportAllocs()
	for b.Loop() {
		rec, err := a.serve("POST", path, body, http.StatusCreated)
		if err != nil {
			b.Fatal(err)
		}
		var l struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
			b.Fatal(err)
		}
		req := httptest.NewRequest("DELETE", path, nil)
		req.Header.Set("Authorization", "Bearer "+a.key)
		req.Header.Set("Lock-Token", l.Token)
		res := httptest.NewRecorder()
		a.h.ServeHTTP(res, req)
		if res.Code != http.StatusNoContent {
			b.Fatalf("DELETE: %d %s", res.Code, res.Body.Bytes())
		}
	}
}
