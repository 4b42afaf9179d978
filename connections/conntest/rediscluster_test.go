package conntest

// An internal test, unlike conntest_test.go, so that it can talk RESP with
// redisConn instead of bringing in a Redis client.

import (
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
)

// settle bounds how long the checks wait for a healthy answer: other
// packages' tests may be failing over a master at the same moment, and a
// failover here takes a few seconds.
const settle = 15 * time.Second

func TestRedisClusterAddrs(t *testing.T) {
	addrs := RedisClusterAddrs(t)
	eventually(t, func() error {
		reply, err := redisDo(addrs[0], "CLUSTER", "INFO")
		if err != nil {
			return err
		}
		info, _ := reply.(string)
		if !strings.Contains(info, "cluster_state:ok\r\n") {
			return fmt.Errorf("CLUSTER INFO on %s has no cluster_state:ok: %q", addrs[0], info)
		}
		return nil
	})
}

func TestRedisSentinel(t *testing.T) {
	sentinels, master := RedisSentinel(t)
	eventually(t, func() error {
		reply, err := redisDo(sentinels[0], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", master)
		if err != nil {
			return err
		}
		hostPort, ok := reply.([]any)
		if !ok || len(hostPort) != 2 {
			return fmt.Errorf("sentinel %s names no master %q: %v", sentinels[0], master, reply)
		}
		addr := net.JoinHostPort(fmt.Sprint(hostPort[0]), fmt.Sprint(hostPort[1]))
		role, err := redisDo(addr, "ROLE")
		if err != nil {
			return fmt.Errorf("master %s named by the sentinel: %w", addr, err)
		}
		if r, _ := role.([]any); len(r) == 0 || r[0] != "master" {
			return fmt.Errorf("master %s named by the sentinel has ROLE %v", addr, role)
		}
		return nil
	})
}

// TestTopologyUnavailable checks that an unset variable or a closed port
// skips, and that SCOPESTORE_TEST_REQUIRE_SERVICES=1 makes either a failure.
func TestTopologyUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()

	tests := []struct {
		name     string
		variable string
		value    string
		require  string
		want     string
		call     func(testing.TB)
	}{
		{"cluster unset", EnvRedisCluster, "", "", "skip", func(tb testing.TB) { RedisClusterAddrs(tb) }},
		{"cluster closed", EnvRedisCluster, closed + "," + closed, "", "skip", func(tb testing.TB) { RedisClusterAddrs(tb) }},
		{"cluster unset required", EnvRedisCluster, "", "1", "fail", func(tb testing.TB) { RedisClusterAddrs(tb) }},
		{"cluster closed required", EnvRedisCluster, closed, "1", "fail", func(tb testing.TB) { RedisClusterAddrs(tb) }},
		{"sentinel unset", EnvRedisSentinel, "", "", "skip", func(tb testing.TB) { RedisSentinel(tb) }},
		{"sentinel closed", EnvRedisSentinel, closed, "", "skip", func(tb testing.TB) { RedisSentinel(tb) }},
		{"sentinel unset required", EnvRedisSentinel, "", "1", "fail", func(tb testing.TB) { RedisSentinel(tb) }},
		{"sentinel closed required", EnvRedisSentinel, closed, "1", "fail", func(tb testing.TB) { RedisSentinel(tb) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.variable, tc.value)
			t.Setenv(EnvRequireServices, tc.require)
			got, msg := outcome(t, tc.call)
			if got != tc.want {
				t.Fatalf("got %s (%q), want %s", got, msg, tc.want)
			}
			for _, part := range []string{tc.variable, "bash .ci/redis-topology.sh start"} {
				if !strings.Contains(msg, part) {
					t.Errorf("message %q does not mention %q", msg, part)
				}
			}
		})
	}
}

// endingTB records how a helper ended the test instead of ending this one.
type endingTB struct {
	testing.TB
	how, msg string
}

func (e *endingTB) Helper() {}

func (e *endingTB) Fatalf(format string, args ...any) {
	e.how, e.msg = "fail", fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (e *endingTB) Skipf(format string, args ...any) {
	e.how, e.msg = "skip", fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// outcome runs call on its own goroutine, as the testing package runs a
// test, so that Fatalf and Skipf can end it, and reports which one did.
func outcome(t *testing.T, call func(testing.TB)) (how, msg string) {
	e := &endingTB{TB: t, how: "return"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		call(e)
	}()
	<-done
	return e.how, e.msg
}

// redisDo sends one command to addr on a connection of its own.
func redisDo(addr string, args ...string) (any, error) {
	c, err := newRedisConn(&url.URL{Scheme: "redis", Host: addr})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.do(args...)
}

// eventually retries check until it succeeds or settle has passed.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(settle)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
