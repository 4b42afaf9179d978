package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// The memcached scenario's names and its server.
const (
	// memcachedConn is the bench's memcached connection.
	memcachedConn = "mc"
	// bareMemcached does one get per load and one set per save.
	bareMemcached = "bare-memcached"
	// envMemcached names a memcached (host:port) to use instead of
	// starting one, as in scopestore's tests.
	envMemcached = "SCOPESTORE_TEST_MEMCACHED"
)

// memcachedVersus measures the API cycle on a memcached storage with
// cluster = true against bare-memcached. The memcached is -memcached (or
// SCOPESTORE_TEST_MEMCACHED), or else one scopebench starts on a free
// loopback port and stops at the end; the connection is created when the
// scenario first runs.
func (b *bench) memcachedVersus(ctx context.Context) (Result, error) {
	if b.memcachedAddr == "" {
		addr := b.cfg.Memcached
		if addr == "" {
			var err error
			if addr, err = b.startMemcached(ctx); err != nil {
				return Result{Baseline: bareMemcached}, err
			}
		}
		if _, err := b.cli(ctx, "connection", "create", "--name", memcachedConn, "--type", "memcached",
			"--servers", addr, "--prefix", b.prefix, "--storage"); err != nil {
			return Result{Baseline: bareMemcached}, err
		}
		b.memcachedAddr = addr
	}
	return b.versus(ctx, "memcached", memcachedConn, true, bareMemcached)
}

// startMemcached starts memcached on a free loopback port, to be killed at
// cleanup (and by the kernel if scopebench dies), and returns its address.
func (b *bench) startMemcached(ctx context.Context) (string, error) {
	path, err := exec.LookPath("memcached")
	if err != nil {
		return "", fmt.Errorf("memcached is not installed (apt-get install memcached), and neither -memcached nor $%s names one: %w", envMemcached, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-m", "512"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody") // memcached refuses to run as root
	}
	cmd := exec.CommandContext(ctx, path, args...)
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	b.onCleanup(func(context.Context) error { _ = cmd.Process.Kill(); _ = cmd.Wait(); return nil })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			b.progress("started memcached on %s", addr)
			return addr, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("memcached on %s did not answer within 10s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// memcachedBare does one get per load and one set, with an expiry, per save.
type memcachedBare struct {
	client *memcache.Client
	prefix string
}

func newMemcachedBare(addr, prefix string) (*memcachedBare, error) {
	if addr == "" {
		return nil, errors.New("-memcached is required: the memcached's host:port")
	}
	c := memcache.New(addr)
	c.Timeout = 3 * time.Second                 // as scopestore's memcached connection
	c.MaxIdleConns = 10 * runtime.GOMAXPROCS(0) // as scopestore's memcached connection keeps
	return &memcachedBare{client: c, prefix: prefix}, nil
}

func (s *memcachedBare) key(app, cfid string) string { return s.prefix + "bare:" + app + ":" + cfid }

func (s *memcachedBare) load(_ context.Context, app, cfid string) ([]byte, bool, error) {
	it, err := s.client.Get(s.key(app, cfid))
	if errors.Is(err, memcache.ErrCacheMiss) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return it.Value, true, nil
}

func (s *memcachedBare) save(_ context.Context, app, cfid string, value []byte) error {
	return s.client.Set(&memcache.Item{Key: s.key(app, cfid), Value: value, Expiration: int32(bareTimeout / time.Second)})
}

func (s *memcachedBare) close() error { return s.client.Close() }
