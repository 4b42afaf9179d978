package redis

import (
	"context"
	"crypto/tls"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

func TestClientOptions(t *testing.T) {
	defaultPool := 10 * runtime.GOMAXPROCS(0)
	tests := []struct {
		name   string
		params map[string]string
		secret string
		// check inspects the options of a valid connection.
		check func(t *testing.T, o optionsView)
		// fails, for an invalid one, is part of the error message.
		fails string
	}{
		{"url with defaults", map[string]string{"url": "redis://cache.example:6380/2"}, "", func(t *testing.T, o optionsView) {
			o.want(t, "addrs", o.Addrs, []string{"cache.example:6380"})
			o.want(t, "db", o.DB, 2)
			o.want(t, "pool size", o.PoolSize, defaultPool)
			o.want(t, "dial timeout", o.DialTimeout, 5*time.Second)
			o.want(t, "read timeout", o.ReadTimeout, 3*time.Second)
			o.want(t, "write timeout", o.WriteTimeout, 3*time.Second)
			o.want(t, "max retries", o.MaxRetries, 2)
			o.want(t, "context timeouts", o.ContextTimeoutEnabled, true)
			o.want(t, "tls", o.TLSConfig == nil, true)
			o.want(t, "cluster", o.IsClusterMode, false)
			o.want(t, "prefix", o.prefix, "scopestore:")
		}, ""},
		{"url user info, secret wins", map[string]string{"url": "redis://app:inurl@h:6379/0"}, "s3cret", func(t *testing.T, o optionsView) {
			o.want(t, "username", o.Username, "app")
			o.want(t, "password", o.Password, "s3cret")
		}, ""},
		{"url query options are kept", map[string]string{"url": "redis://h/0?dial_timeout=2s&max_retries=5"}, "", func(t *testing.T, o optionsView) {
			o.want(t, "dial timeout", o.DialTimeout, 2*time.Second)
			o.want(t, "max retries", o.MaxRetries, 5)
		}, ""},
		{"params override the url", map[string]string{"url": "redis://h/1", "database": "3", "username": "u", "pool_size": "7", "timeout": "10s", "prefix": "p:"}, "pw", func(t *testing.T, o optionsView) {
			o.want(t, "db", o.DB, 3)
			o.want(t, "username", o.Username, "u")
			o.want(t, "password", o.Password, "pw")
			o.want(t, "pool size", o.PoolSize, 7)
			o.want(t, "read timeout", o.ReadTimeout, 10*time.Second)
			o.want(t, "write timeout", o.WriteTimeout, 10*time.Second)
			o.want(t, "prefix", o.prefix, "p:")
		}, ""},
		{"rediss", map[string]string{"url": "rediss://h:6380"}, "", func(t *testing.T, o optionsView) {
			if o.TLSConfig == nil || o.TLSConfig.MinVersion < tls.VersionTLS12 || o.TLSConfig.ServerName != "h" {
				t.Errorf("TLS config %+v, want TLS 1.2 and up for h", o.TLSConfig)
			}
		}, ""},
		{"host, port, tls", map[string]string{"host": "h", "port": "7000", "tls": "true"}, "", func(t *testing.T, o optionsView) {
			o.want(t, "addrs", o.Addrs, []string{"h:7000"})
			if o.TLSConfig == nil || o.TLSConfig.MinVersion < tls.VersionTLS12 {
				t.Errorf("TLS config %+v, want TLS 1.2 and up", o.TLSConfig)
			}
		}, ""},
		{"host with the default port", map[string]string{"host": "h"}, "", func(t *testing.T, o optionsView) {
			o.want(t, "addrs", o.Addrs, []string{"h:6379"})
		}, ""},
		{"IPv6 host", map[string]string{"host": "::1"}, "", func(t *testing.T, o optionsView) {
			o.want(t, "addrs", o.Addrs, []string{"[::1]:6379"})
		}, ""},
		{"sentinel", map[string]string{"mode": "sentinel", "host": "s1, s2:26380,s3", "master": "mymaster"}, "", func(t *testing.T, o optionsView) {
			o.want(t, "addrs", o.Addrs, []string{"s1:26379", "s2:26380", "s3:26379"})
			o.want(t, "master", o.MasterName, "mymaster")
		}, ""},
		{"cluster hosts", map[string]string{"mode": "cluster", "host": "n1:7000,n2:7001"}, "", func(t *testing.T, o optionsView) {
			o.want(t, "addrs", o.Addrs, []string{"n1:7000", "n2:7001"})
			o.want(t, "cluster", o.IsClusterMode, true)
		}, ""},
		{"cluster url", map[string]string{"mode": "cluster", "url": "redis://n1:7000?addr=n2:7001"}, "", func(t *testing.T, o optionsView) {
			o.want(t, "addrs", o.Addrs, []string{"n1:7000", "n2:7001"})
			o.want(t, "cluster", o.IsClusterMode, true)
		}, ""},
		{"cluster of one node", map[string]string{"mode": "cluster", "host": "n1"}, "", func(t *testing.T, o optionsView) {
			o.want(t, "cluster", o.IsClusterMode, true)
		}, ""},

		{"nothing", map[string]string{}, "", nil, "give a url"},
		{"url and host", map[string]string{"url": "redis://h", "host": "h"}, "", nil, "not both"},
		{"bad url keeps the password out", map[string]string{"url": "redis://u:hunter2@h:port/0"}, "", nil, "url is not"},
		{"bad scheme", map[string]string{"url": "http://h"}, "", nil, "url is not"},
		{"bad mode", map[string]string{"host": "h", "mode": "ring"}, "", nil, "mode \"ring\""},
		{"sentinel without master", map[string]string{"host": "h", "mode": "sentinel"}, "", nil, "needs master"},
		{"master outside sentinel", map[string]string{"host": "h", "master": "m"}, "", nil, "sentinel only"},
		{"standalone with two hosts", map[string]string{"host": "a,b"}, "", nil, "takes one"},
		{"cluster database", map[string]string{"host": "h", "mode": "cluster", "database": "1"}, "", nil, "database 0 only"},
		{"bad database", map[string]string{"host": "h", "database": "x"}, "", nil, "database \"x\""},
		{"bad port", map[string]string{"host": "h", "port": "70000"}, "", nil, "port"},
		{"bad tls", map[string]string{"host": "h", "tls": "maybe"}, "", nil, "tls \"maybe\""},
		{"tls false on rediss", map[string]string{"url": "rediss://h", "tls": "false"}, "", nil, "rediss://"},
		{"bad pool size", map[string]string{"host": "h", "pool_size": "0"}, "", nil, "pool_size"},
		{"bad timeout", map[string]string{"host": "h", "timeout": "soon"}, "", nil, "timeout"},
		{"brace in prefix", map[string]string{"host": "h", "prefix": "a{b}"}, "", nil, "braces"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := scopes.Connection{Name: "sessions", Type: "redis", Params: tc.params, Secret: tc.secret}
			opts, prefix, err := clientOptions(c)
			if tc.fails != "" {
				if err == nil {
					t.Fatalf("no error, want one about %q", tc.fails)
				}
				if scopes.ErrorCode(err) != scopes.EInvalid || !strings.Contains(err.Error(), tc.fails) || !strings.Contains(err.Error(), "sessions") {
					t.Errorf("error %v, want an %s error naming the connection and %q", err, scopes.EInvalid, tc.fails)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %v shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, optionsView{opts, prefix})
		})
	}
}

// optionsView is what clientOptions returns, with a helper to check it.
type optionsView struct {
	*goredis.UniversalOptions
	prefix string
}

func (optionsView) want(t *testing.T, what string, got, want any) {
	t.Helper()
	if g, ok := got.([]string); ok {
		if !slices.Equal(g, want.([]string)) {
			t.Errorf("%s %q, want %q", what, g, want)
		}
		return
	}
	if got != want {
		t.Errorf("%s %v, want %v", what, got, want)
	}
}

// Open does not connect: a server that is down is no reason to fail.
func TestOpenDoesNotConnect(t *testing.T) {
	for _, mode := range []string{"standalone", "cluster"} {
		c := scopes.Connection{Name: "down", Type: "redis", Params: map[string]string{"host": "127.0.0.1", "port": "1", "mode": mode}}
		s, err := Open(context.Background(), c)
		if err != nil {
			t.Fatalf("%s: Open: %v", mode, err)
		}
		_ = s.Close()
	}
	c := scopes.Connection{Name: "down", Type: "redis", Params: map[string]string{"host": "127.0.0.1", "port": "1", "mode": "sentinel", "master": "m"}}
	s, err := Open(context.Background(), c)
	if err != nil {
		t.Fatalf("sentinel: Open: %v", err)
	}
	_ = s.Close()
}

// min_replicas_acked and replica_timeout: Go durations, bounded, and
// messages that name the param.
func TestReplicaOptions(t *testing.T) {
	cases := []struct {
		params  map[string]string
		n       int
		timeout time.Duration
		bad     string
	}{
		{map[string]string{}, 0, defaultReplicaTimeout, ""},
		{map[string]string{"min_replicas_acked": "1", "replica_timeout": "500ms"}, 1, 500 * time.Millisecond, ""},
		{map[string]string{"min_replicas_acked": "x"}, 0, 0, "min_replicas_acked"},
		{map[string]string{"min_replicas_acked": "17"}, 0, 0, "min_replicas_acked"},
		{map[string]string{"replica_timeout": "1ms"}, 0, 0, "replica_timeout"},
		{map[string]string{"replica_timeout": "90d"}, 0, 0, "replica_timeout"},
	}
	for _, c := range cases {
		n, timeout, err := replicaOptions(scopes.Connection{Name: "r", Params: c.params})
		switch {
		case c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)):
			t.Errorf("%v: %v; want an error naming %s", c.params, err, c.bad)
		case c.bad == "" && (err != nil || n != c.n || timeout != c.timeout):
			t.Errorf("%v = %d, %v, %v; want %d, %v", c.params, n, timeout, err, c.n, c.timeout)
		}
	}
}
