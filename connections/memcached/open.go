package memcached

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/scopestore/scopestore/scopes"
)

// DefaultPrefix is the key prefix of a connection whose prefix param is unset.
const DefaultPrefix = "scopestore:"

// Client defaults, for what the params do not set.
const (
	// defaultTimeout bounds each dial, read and write (gomemcache: 500ms),
	// as Redis's does: memcached answers in microseconds, but a loaded host
	// may pause scopestore for longer than a second, and a timeout is a 503.
	defaultTimeout = 3 * time.Second
	// defaultPort is memcached's, for a server given without one.
	defaultPort = "11211"
	// maxPrefix leaves room in memcached's 250-byte keys for the longest
	// app name (64), kind and cfid.
	maxPrefix = 100
)

// defaultPoolSize is how many idle connections per server are kept: about
// as many as requests that reach a server at once, so that a busy store
// does not dial and close a connection per call (gomemcache keeps 2).
func defaultPoolSize() int { return 10 * runtime.GOMAXPROCS(0) }

// Open returns a store over the memcached connection c. Its params are
// servers (host:port, comma-separated; keys are spread over them by hash),
// prefix (default "scopestore:"), timeout (each dial, read and write,
// default 3s) and pool_size (idle connections kept per server).
//
// Open checks the params, with an *scopes.Error with code EInvalid naming
// the param at fault, but does not connect: while a server is down the
// calls that reach it fail, and succeed again once it is back, so that
// scopestore starts and answers 503 meanwhile rather than not at all.
func Open(_ context.Context, c scopes.Connection) (*Store, error) {
	bad := func(format string, args ...any) error {
		return scopes.Errorf(scopes.EInvalid, "memcached connection %s: %s", c.Name, fmt.Sprintf(format, args...))
	}
	p := c.Params
	servers, err := serverAddrs(p["servers"])
	if err != nil {
		return nil, bad("%v", err)
	}
	prefix := p["prefix"]
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if len(prefix) > maxPrefix || !legalKey(prefix) {
		return nil, bad("prefix %q must be at most %d characters, without spaces or control characters", prefix, maxPrefix)
	}
	timeout := defaultTimeout
	if v := p["timeout"]; v != "" {
		// Read as the other connection types read it (connections.Validate
		// checks it so): whole seconds, such as 1s or 2s.
		if timeout, err = scopes.ParseTimeout(v); err != nil {
			return nil, bad("timeout: %v", err)
		}
	}
	pool := defaultPoolSize()
	if v := p["pool_size"]; v != "" {
		if pool, err = strconv.Atoi(v); err != nil || pool < 1 || pool > 10000 {
			return nil, bad("pool_size %q must be a whole number from 1 to 10000", v)
		}
	}
	ss := new(memcache.ServerList)
	// SetServers resolves names but does not connect; a name that does not
	// resolve is a mistake in the definition, or DNS down: either way the
	// next use opens the store again.
	if err := ss.SetServers(servers...); err != nil {
		return nil, fmt.Errorf("memcached connection %s: servers %s: %w", c.Name, strings.Join(servers, ","), err)
	}
	client := memcache.NewFromSelector(ss)
	client.Timeout = timeout
	client.MaxIdleConns = pool
	return newStore(client, ss, prefix, servers), nil
}

// serverAddrs splits the servers param into host:port addresses, adding
// memcached's port where one is missing.
func serverAddrs(servers string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(servers, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			out = append(out, s) // a Unix socket, as gomemcache takes it
			continue
		}
		host, port, err := net.SplitHostPort(s)
		if err != nil {
			host, port = strings.Trim(s, "[]"), defaultPort
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" {
			return nil, fmt.Errorf("servers: %q is not a host:port such as 127.0.0.1:11211", s)
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("servers %q names no server: give host:port, comma-separated, such as 127.0.0.1:11211", servers)
	}
	return out, nil
}
