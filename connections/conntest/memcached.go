package conntest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvMemcached names a memcached server (host:port) for the tests to use
// instead of starting their own.
const EnvMemcached = "SCOPESTORE_TEST_MEMCACHED"

// memcachedStartTimeout bounds how long a started memcached may take to
// accept connections.
const memcachedStartTimeout = 10 * time.Second

// Memcached is a memcached server that a test started, as a child process
// on a loopback port of its own, so that the test may stop and start it.
type Memcached struct {
	// Addr is the server's host:port.
	Addr string
	tb   testing.TB
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
	// exited is closed when the running server has exited.
	exited chan struct{}
}

// MemcachedAddr returns the host:port of a memcached for a test:
// SCOPESTORE_TEST_MEMCACHED when set (after checking that it answers), or a
// server of the test's own (StartMemcached) that stops when the test ends.
// Tests that share a server named by the variable should keep their keys
// under a prefix of their own (RedisPrefix's names do).
func MemcachedAddr(tb testing.TB) string {
	tb.Helper()
	if addr := os.Getenv(EnvMemcached); addr != "" {
		if err := memcachedVersion(addr); err != nil {
			unreachable(tb, "memcached", EnvMemcached, addr, err)
		}
		return addr
	}
	return StartMemcached(tb).Addr
}

// StartMemcached starts `memcached -l 127.0.0.1 -p <free port> -U 0` and
// kills it when the test ends. Without a memcached binary the test is
// skipped, saying how to install one, or fails when
// SCOPESTORE_TEST_REQUIRE_SERVICES=1.
func StartMemcached(tb testing.TB) *Memcached {
	tb.Helper()
	if _, err := exec.LookPath("memcached"); err != nil {
		if os.Getenv(EnvRequireServices) == "1" {
			tb.Fatalf("memcached is not installed (%s=1 requires it): apt-get install memcached, or set %s=host:port: %v", EnvRequireServices, EnvMemcached, err)
		}
		tb.Skipf("memcached is not installed: apt-get install memcached (or set %s=host:port) to run this test: %v", EnvMemcached, err)
	}
	m := &Memcached{tb: tb}
	var err error
	// A free port may be taken by another process before memcached binds it.
	for range 3 {
		if m.port, err = freePort(); err != nil {
			continue
		}
		m.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(m.port))
		if err = m.start(); err == nil {
			break
		}
	}
	if err != nil {
		tb.Fatalf("conntest: start memcached: %v", err)
	}
	tb.Cleanup(m.Stop)
	return m
}

// Stop kills the server (SIGKILL, as a crash would) and waits for it to
// exit; it does nothing when the server is not running.
func (m *Memcached) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.exited
	m.cmd = nil
}

// Start starts the server again on the same port, empty, and waits until it
// accepts connections; the test fails if it cannot.
func (m *Memcached) Start() {
	m.tb.Helper()
	if err := m.start(); err != nil {
		m.tb.Fatalf("conntest: start memcached again on %s: %v", m.Addr, err)
	}
}

func (m *Memcached) start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return nil
	}
	args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(m.port), "-U", "0", "-m", "64", "-t", "2"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody") // memcached refuses to run as root
	}
	cmd := exec.Command("memcached", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(memcachedStartTimeout)
	for {
		if memcachedVersion(m.Addr) == nil {
			m.cmd, m.exited = cmd, exited
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("memcached on port %d exited: %w: %s", m.port, waitErr, strings.TrimSpace(stderr.String()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("memcached on port %d did not answer within %v", m.port, memcachedStartTimeout)
		}
	}
}

// memcachedVersion checks that addr answers memcached's version command.
func memcachedVersion(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(dialTimeout))
	if _, err := conn.Write([]byte("version\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "VERSION ") {
		return fmt.Errorf("answered %q to version, not VERSION", strings.TrimSpace(line))
	}
	return nil
}

// freePort returns a loopback TCP port that nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
