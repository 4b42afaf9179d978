package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/connections/conntest"
)

// ownRedis starts a redis-server of the test's own on a free loopback port,
// which the test may pause and resume, and stops it when the test ends.
func ownRedis(t *testing.T) (addr string, proc *os.Process) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(conntest.EnvRequireServices) == "1" {
			t.Fatalf("redis-server not found (%s=1 requires it; bash .ci/run installs it)", conntest.EnvRequireServices)
		}
		t.Skip("redis-server not found: install Debian's redis-server to run this test")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	_ = l.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c.Ping(t.Context()).Err() == nil {
			return addr, cmd.Process
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not start", addr)
		}
	}
}

// A Redis that stalls (SIGSTOP, then SIGCONT 3.5 s and then 11 s later) under a load of
// PATCH increments, each of its own key: every increment answered 200 is
// stored once, every one answered 409, 412 or 503 is not stored at all.
// go-redis's retries and the engine's resolution of unknown outcomes send
// the same write again; Redis must recognise it.
func TestRedisStallAppliesEachWriteOnce(t *testing.T) {
	addr, redisProc := ownRedis(t)
	dir := t.TempDir()
	mustCLI(t, dir, "connection", "create", "--name", "stall", "--type", "redis", "--url", "redis://"+addr+"/0",
		"--storage", "--timeout", "1s")
	key := strings.TrimSpace(mustCLI(t, dir, "app", "create", "shop"))
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "stall", "--session-cluster", "true")
	in := startInstance(t, dir)

	const scopeCount, clients = 4, 12
	paths := make([]string, scopeCount)
	for i := range paths {
		status, body, _ := in.do(t, "POST", "/api/v1/apps/shop/sessions", key, `{"data":{}}`)
		if status != http.StatusCreated {
			t.Fatalf("create: %d %s", status, body)
		}
		paths[i] = "/api/v1/apps/shop/sessions/" + cfidField.FindStringSubmatch(body)[1]
	}

	var mu sync.Mutex
	answers := map[string]int{} // request key → status
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req := fmt.Sprintf("c%d_%d", c, i)
				status, body, _ := in.do(t, "PATCH", paths[(c+i)%scopeCount], key, `{"incr":{"`+req+`":1}}`)
				if status != http.StatusOK && status != http.StatusServiceUnavailable && status != http.StatusConflict {
					t.Errorf("PATCH %s: %d %s", req, status, body)
				}
				mu.Lock()
				answers[req] = status
				mu.Unlock()
			}
		})
	}
	time.Sleep(time.Second)
	// A pause shorter than the engine's resolve time, then one past the
	// read timeout many times over: every write is resolved either way.
	for _, pause := range []time.Duration{3500 * time.Millisecond, 11 * time.Second} {
		if err := redisProc.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		time.Sleep(pause)
		if err := redisProc.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
	}
	close(stop)
	wg.Wait()

	stored := map[string]float64{}
	for _, path := range paths {
		status, body, _ := in.do(t, "GET", path, key, "")
		if status != http.StatusOK {
			t.Fatalf("GET after the load: %d %s", status, body)
		}
		var sc struct{ Data map[string]float64 }
		if err := json.Unmarshal([]byte(body), &sc); err != nil {
			t.Fatal(err)
		}
		for k, v := range sc.Data {
			stored[k] = v
		}
	}
	byStatus := map[int]int{}
	for req, status := range answers {
		byStatus[status]++
		switch n := stored[req]; {
		case status == http.StatusOK && n != 1:
			t.Errorf("%s answered 200 and stored %v times", req, n)
		case status != http.StatusOK && n != 0:
			t.Errorf("%s answered %d and stored %v times", req, status, n)
		}
	}
	if byStatus[http.StatusOK] == 0 {
		t.Error("no increment succeeded")
	}
	t.Logf("answers through a 3.5 s and an 11 s stall: %v; every 200 stored once, every other answer stored never", byStatus)
}
