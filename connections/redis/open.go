package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/scopestore/scopestore/scopes"
)

// DefaultPrefix is the key prefix of a connection whose prefix param is unset.
const DefaultPrefix = "scopestore:"

// The connection modes, as the mode param names them.
const (
	modeStandalone = "standalone"
	modeSentinel   = "sentinel"
	modeCluster    = "cluster"
)

// Client defaults, for what neither the params nor the url set.
const (
	defaultPort         = "6379"
	defaultSentinelPort = "26379"
	defaultDialTimeout  = 5 * time.Second
	defaultIOTimeout    = 3 * time.Second
	// defaultMaxRetries retries a failed command twice (go-redis: 3), so that
	// a request fails within seconds when Redis is down.
	defaultMaxRetries = 2
	// clusterStateReload is how often a Cluster client reads the slot map
	// again, so that requests reach a promoted replica within seconds.
	clusterStateReload = 2 * time.Second
	// defaultReplicaTimeout bounds the WAIT of min_replicas_acked.
	defaultReplicaTimeout = time.Second
	// defaultDialerRetries dials once per attempt (go-redis: 5, 100ms apart):
	// the command retries above already retry the dial.
	defaultDialerRetries = 1
)

// Open returns a store over the Redis connection c. Its params are those of
// the redis connection type: url, or host (a comma-separated list in
// sentinel and cluster modes) and port; username, database, tls; mode
// (standalone, sentinel with master, or cluster); prefix, pool_size,
// timeout (the read and write timeout) and autopipeline (autopipeline.go).
// c.Secret is the password; username and the secret apply to the data
// nodes, not to sentinels.
//
// Open checks the configuration, with an *scopes.Error with code EInvalid
// naming the param at fault, but does not connect: while Redis is down each
// call fails, and the client reconnects by itself once it is back, so that
// scopestore starts and answers 503 meanwhile rather than not at all.
func Open(_ context.Context, c scopes.Connection) (*Store, error) {
	opts, prefix, err := clientOptions(c)
	if err != nil {
		return nil, err
	}
	replicas, replicaTimeout, err := replicaOptions(c)
	if err != nil {
		return nil, err
	}
	pipelined, err := autopipelineParam(c, opts.IsClusterMode)
	if err != nil {
		return nil, err
	}
	s := newStore(newClient(opts, false), prefix, opts.IsClusterMode)
	s.writer = newClient(opts, true)
	s.scripts = s.writer
	s.replicas, s.replicaTimeout = replicas, replicaTimeout
	if pipelined {
		if err := s.autopipeline(); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	return s, nil
}

// newClient returns a client over opts. A writer sends each command once:
// go-redis would retry a script whose connection broke after it was sent,
// and then report only the last attempt's error, say a refused dial, for a
// write that Redis applied. The store resends writes itself, knowing which
// failures applied nothing (see send).
func newClient(opts *goredis.UniversalOptions, writer bool) goredis.UniversalClient {
	o := *opts
	if writer {
		o.MaxRetries = -1
	}
	if !o.IsClusterMode {
		return goredis.NewUniversalClient(&o)
	}
	co := o.Cluster()
	// A master killed outright answers nothing, never MOVED: only a reload
	// of the slot map finds its promoted replica, and go-redis reloads
	// every minute by default.
	co.ClusterStateReloadInterval = clusterStateReload
	if writer {
		co.MaxRedirects = -1 // none: a MOVED is answered, and send follows it
	}
	return goredis.NewClusterClient(co)
}

// replicaOptions reads min_replicas_acked and replica_timeout.
func replicaOptions(c scopes.Connection) (int, time.Duration, error) {
	n, timeout := 0, defaultReplicaTimeout
	if v := c.Params["min_replicas_acked"]; v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 || n > 16 {
			return 0, 0, scopes.Errorf(scopes.EInvalid, "redis connection %s: min_replicas_acked %q must be a number from 0 (do not wait) to 16", c.Name, v)
		}
	}
	if v := c.Params["replica_timeout"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond || d > time.Minute {
			return 0, 0, scopes.Errorf(scopes.EInvalid, "redis connection %s: replica_timeout %q must be a duration from 10ms to 1m, such as 500ms or 1s", c.Name, v)
		}
		timeout = d
	}
	return n, timeout, nil
}

// clientOptions turns a connection into client options and a key prefix.
func clientOptions(c scopes.Connection) (*goredis.UniversalOptions, string, error) {
	p := c.Params
	bad := func(format string, args ...any) error {
		return scopes.Errorf(scopes.EInvalid, "redis connection %s: %s", c.Name, fmt.Sprintf(format, args...))
	}

	mode := p["mode"]
	if mode == "" {
		mode = modeStandalone
	}
	if mode != modeStandalone && mode != modeSentinel && mode != modeCluster {
		return nil, "", bad("mode %q must be standalone, sentinel or cluster", mode)
	}
	prefix := p["prefix"]
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, "", bad("prefix %q must not contain braces: they would move the keys' Cluster hash tag", prefix)
	}

	opts := &goredis.UniversalOptions{}
	var err error
	switch {
	case p["url"] != "" && p["host"] != "":
		return nil, "", bad("give url or host, not both")
	case p["url"] != "" && mode == modeCluster:
		err = fromClusterURL(opts, p["url"])
	case p["url"] != "":
		err = fromURL(opts, p["url"])
	case p["host"] != "":
		opts.Addrs, err = hostAddrs(p["host"], p["port"], mode)
	default:
		return nil, "", bad("give a url (redis://host:6379/0) or a host")
	}
	if err != nil {
		return nil, "", bad("%v", err)
	}

	if v := p["username"]; v != "" {
		opts.Username = v
	}
	if c.Secret != "" {
		opts.Password = c.Secret
	}
	if v := p["database"]; v != "" {
		if opts.DB, err = strconv.Atoi(v); err != nil || opts.DB < 0 {
			return nil, "", bad("database %q must be a Redis database number (0, 1, …)", v)
		}
	}
	if v := p["tls"]; v != "" {
		on, err := scopes.ParseBool(v)
		switch {
		case err != nil:
			return nil, "", bad("tls %q must be true or false", v)
		case on && opts.TLSConfig == nil:
			// No ServerName: crypto/tls takes each node's own host name.
			opts.TLSConfig = &tls.Config{}
		case !on && opts.TLSConfig != nil:
			return nil, "", bad("tls is false but the url starts with rediss://")
		}
	}
	if opts.TLSConfig != nil {
		opts.TLSConfig.MinVersion = max(opts.TLSConfig.MinVersion, tls.VersionTLS12)
	}

	switch mode {
	case modeStandalone:
		if len(opts.Addrs) > 1 {
			return nil, "", bad("host lists %d servers but mode standalone takes one: set mode to sentinel or cluster", len(opts.Addrs))
		}
	case modeSentinel:
		if opts.MasterName = p["master"]; opts.MasterName == "" {
			return nil, "", bad("mode sentinel needs master, the name of the master that the sentinels monitor")
		}
	case modeCluster:
		// Also for a single address: it is one node of the cluster.
		opts.IsClusterMode = true
		if opts.DB != 0 {
			return nil, "", bad("database %d: Redis Cluster has database 0 only", opts.DB)
		}
	}
	if mode != modeSentinel && p["master"] != "" {
		return nil, "", bad("master applies to mode sentinel only")
	}

	if v := p["pool_size"]; v != "" {
		if opts.PoolSize, err = strconv.Atoi(v); err != nil || opts.PoolSize < 1 {
			return nil, "", bad("pool_size %q must be a number from 1 up", v)
		}
	} else if opts.PoolSize == 0 {
		opts.PoolSize = 10 * runtime.GOMAXPROCS(0)
	}
	if v := p["timeout"]; v != "" {
		d, err := timeoutParam(v)
		if err != nil {
			return nil, "", bad("timeout %q %v", v, err)
		}
		opts.ReadTimeout, opts.WriteTimeout = d, d
	}
	opts.ReadTimeout = orDefault(opts.ReadTimeout, defaultIOTimeout)
	opts.WriteTimeout = orDefault(opts.WriteTimeout, defaultIOTimeout)
	opts.DialTimeout = orDefault(opts.DialTimeout, defaultDialTimeout)
	opts.MaxRetries = orDefault(opts.MaxRetries, defaultMaxRetries)
	opts.DialerRetries = orDefault(opts.DialerRetries, defaultDialerRetries)
	// A request's deadline bounds its Redis calls too.
	opts.ContextTimeoutEnabled = true
	// Maintenance notifications are for Redis Enterprise / Redis Cloud
	// upgrades; off, the handshake is the plain one every server knows.
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return opts, prefix, nil
}

// orDefault returns v, or def when v is zero (unset).
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// fromURL reads a redis:// or rediss:// url with goredis.ParseURL: the
// server's address, user info, database, TLS, and the client options that
// go-redis reads from its query.
func fromURL(opts *goredis.UniversalOptions, raw string) error {
	o, err := goredis.ParseURL(raw)
	if err != nil {
		return urlError(err)
	}
	opts.Addrs = []string{o.Addr}
	opts.Username, opts.Password, opts.DB, opts.TLSConfig = o.Username, o.Password, o.DB, o.TLSConfig
	opts.ClientName, opts.Protocol = o.ClientName, o.Protocol
	opts.MaxRetries, opts.MinRetryBackoff, opts.MaxRetryBackoff = o.MaxRetries, o.MinRetryBackoff, o.MaxRetryBackoff
	opts.DialTimeout, opts.DialerRetries, opts.ReadTimeout, opts.WriteTimeout = o.DialTimeout, o.DialerRetries, o.ReadTimeout, o.WriteTimeout
	opts.PoolFIFO, opts.PoolSize, opts.PoolTimeout = o.PoolFIFO, o.PoolSize, o.PoolTimeout
	opts.MinIdleConns, opts.MaxIdleConns, opts.MaxActiveConns = o.MinIdleConns, o.MaxIdleConns, o.MaxActiveConns
	opts.ConnMaxIdleTime, opts.ConnMaxLifetime = o.ConnMaxIdleTime, o.ConnMaxLifetime
	return nil
}

// fromClusterURL reads a cluster url with goredis.ParseClusterURL, whose
// addr query parameters name more nodes.
func fromClusterURL(opts *goredis.UniversalOptions, raw string) error {
	o, err := goredis.ParseClusterURL(raw)
	if err != nil {
		return urlError(err)
	}
	opts.Addrs = o.Addrs
	opts.Username, opts.Password, opts.TLSConfig = o.Username, o.Password, o.TLSConfig
	opts.ClientName, opts.Protocol = o.ClientName, o.Protocol
	opts.MaxRetries, opts.MinRetryBackoff, opts.MaxRetryBackoff = o.MaxRetries, o.MinRetryBackoff, o.MaxRetryBackoff
	opts.DialTimeout, opts.DialerRetries, opts.ReadTimeout, opts.WriteTimeout = o.DialTimeout, o.DialerRetries, o.ReadTimeout, o.WriteTimeout
	opts.PoolFIFO, opts.PoolSize, opts.PoolTimeout = o.PoolFIFO, o.PoolSize, o.PoolTimeout
	opts.MinIdleConns, opts.MaxIdleConns, opts.MaxActiveConns = o.MinIdleConns, o.MaxIdleConns, o.MaxActiveConns
	opts.ConnMaxIdleTime, opts.ConnMaxLifetime = o.ConnMaxIdleTime, o.ConnMaxLifetime
	opts.MaxRedirects, opts.ReadOnly, opts.RouteByLatency, opts.RouteRandomly = o.MaxRedirects, o.ReadOnly, o.RouteByLatency, o.RouteRandomly
	return nil
}

// urlError describes a url that does not parse without quoting it: a url
// may hold the password.
func urlError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("url is not a redis:// or rediss:// URL like redis://127.0.0.1:6379/0: %w", err)
}

// hostAddrs turns the host param, one host or a comma-separated list, each
// with or without its own port, into addresses; port (or the mode's usual
// port) applies to hosts without one.
func hostAddrs(host, port, mode string) ([]string, error) {
	def := defaultPort
	if mode == modeSentinel {
		def = defaultSentinelPort
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %q is not a port number (1-65535)", port)
		}
		def = port
	}
	var addrs []string
	for _, h := range strings.Split(host, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err == nil {
			addrs = append(addrs, h)
			continue
		}
		addrs = append(addrs, net.JoinHostPort(strings.Trim(h, "[]"), def))
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("host %q names no server", host)
	}
	return addrs, nil
}
