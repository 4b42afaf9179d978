package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// The servers scopebench uses unless told otherwise: the same variables and
// defaults as scopestore's integration tests.
const (
	envRedis        = "SCOPESTORE_TEST_REDIS"
	envRedisCluster = "SCOPESTORE_TEST_REDIS_CLUSTER"
	envMySQL        = "SCOPESTORE_TEST_MYSQL"
	defaultRedis    = "redis://127.0.0.1:6379/0"
	defaultMySQL    = "root@tcp(127.0.0.1:3306)/"
)

// config is scopebench's command line.
type config struct {
	Duration time.Duration
	Warmup   time.Duration
	Rounds   int
	Clients  int
	Size     int
	Rows     int
	Only     []string
	JSON     string
	Smoke    bool
	Timeout  time.Duration
	CacheTTL time.Duration
	// RedisURL and MySQL name the servers; MySQL is a go-sql-driver DSN
	// whose database part is ignored (scopebench creates its own).
	RedisURL string
	MySQL    string
	// RedisCluster is the comma-separated host:port nodes of a Redis
	// Cluster; empty when there is none, and then redis-cluster-3 cannot run.
	RedisCluster string
	// Memcached is the memcached's host:port; empty starts one.
	Memcached string
	// Scopestore is a prebuilt scopestore binary; empty builds one.
	Scopestore string
	// Sessions is how many visitors, each with its own session cookie, the
	// app scenarios' load generator keeps.
	Sessions int

	// Sizes of the scale scenarios, smaller with -smoke.
	BaseRows    int // rows-1m's baseline: 10,000 rows
	ExpiredRows int // cleaner: expired rows to delete
	RSSScopes   int // rss-redis: scopes stored
	HeapScopes  int // heap-memory: scopes stored

	// Server mode (-serve): the bare server to run and its backend.
	Serve  string
	Addr   string
	Prefix string
	DSN    string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{
		Duration:     10 * time.Second,
		Warmup:       2 * time.Second,
		Rounds:       4,
		Clients:      64,
		Size:         2048,
		Rows:         1_000_000,
		Timeout:      time.Hour,
		CacheTTL:     5 * time.Second,
		RedisURL:     envOr(envRedis, defaultRedis),
		RedisCluster: os.Getenv(envRedisCluster),
		Memcached:    os.Getenv(envMemcached),
		MySQL:        strings.TrimPrefix(envOr(envMySQL, defaultMySQL), "mysql://"),
		BaseRows:     10_000,
		ExpiredRows:  100_000,
		RSSScopes:    100_000,
		HeapScopes:   50_000,
		Sessions:     1000,
	}
	var only string
	fs := flag.NewFlagSet("scopebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "measured time of each scenario and baseline")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "unmeasured load before each measurement")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "a scenario and its baseline take turns in this many rounds of -duration/-rounds each")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "concurrent clients, each with its own keep-alive connection")
	fs.IntVar(&cfg.Size, "size", cfg.Size, "bytes of each scope's JSON data")
	fs.IntVar(&cfg.Rows, "rows", cfg.Rows, "rows in cf_session_data for the rows-1m scenario")
	fs.StringVar(&only, "only", "", "comma-separated scenarios to run (default all): "+strings.Join(scenarioNames(), ", ")+
		"; a baseline's name ("+strings.Join(slices.Sorted(maps.Keys(scenarioAliases)), ", ")+") runs its pair")
	fs.IntVar(&cfg.Sessions, "sessions", cfg.Sessions, "visitors (sessions, each with its cookies) of the app scenarios' load generator; at least -clients")
	fs.StringVar(&cfg.JSON, "json", "", "also write the results as JSON to this file")
	fs.BoolVar(&cfg.Smoke, "smoke", false, "small sizes and 1s per scenario, so that a full run takes about a minute (CI); explicit flags still win")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "bound on the whole run")
	fs.DurationVar(&cfg.CacheTTL, "cache-ttl", cfg.CacheTTL, "scopestore's --cache-ttl (its default); settings changes between scenarios wait for it")
	fs.StringVar(&cfg.RedisURL, "redis", cfg.RedisURL, "Redis URL, loopback only (default $"+envRedis+" or "+defaultRedis+")")
	fs.StringVar(&cfg.RedisCluster, "redis-cluster", cfg.RedisCluster, "Redis Cluster nodes for redis-cluster-3, comma-separated host:port, loopback only (default $"+envRedisCluster+")")
	fs.StringVar(&cfg.Memcached, "memcached", cfg.Memcached, "memcached host:port for the memcached scenario, loopback only (default $"+envMemcached+"; when empty, scopebench starts one)")
	fs.StringVar(&cfg.MySQL, "mysql", cfg.MySQL, "MariaDB/MySQL DSN, loopback only; its database is ignored (default $"+envMySQL+" or "+defaultMySQL+")")
	fs.StringVar(&cfg.Scopestore, "scopestore", "", "a scopestore binary to run instead of building one")
	fs.StringVar(&cfg.Serve, "serve", "", "internal: run a bare server (bare-memory, bare-redis, bare-redis-cluster, bare-memcached, floor-redis, floor-redis-local, lucee-sql) or a Go app (app-go, app-scs) instead of the benchmark")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:0", "internal: the address of -serve")
	fs.StringVar(&cfg.Prefix, "prefix", "", "internal: the Redis key prefix of -serve bare-redis, bare-redis-cluster and app-scs")
	fs.StringVar(&cfg.DSN, "dsn", "", "internal: the MySQL DSN of -serve lucee-sql")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q: scopebench takes flags only (see -help)", fs.Args())
	}
	if cfg.Smoke {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		smoke := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		smoke("duration", func() { cfg.Duration = time.Second })
		smoke("warmup", func() { cfg.Warmup = 250 * time.Millisecond })
		smoke("clients", func() { cfg.Clients = 8 })
		smoke("rounds", func() { cfg.Rounds = 2 })
		smoke("rows", func() { cfg.Rows = 20_000 })
		smoke("cache-ttl", func() { cfg.CacheTTL = time.Second })
		cfg.ExpiredRows, cfg.RSSScopes, cfg.HeapScopes = 5_000, 2_000, 5_000
	}
	cfg.BaseRows = min(cfg.BaseRows, cfg.Rows/2)
	if only != "" {
		for _, name := range strings.Split(only, ",") {
			name = strings.TrimSpace(name)
			if pair, ok := scenarioAliases[name]; ok {
				name = pair
			}
			if !slices.Contains(scenarioNames(), name) {
				return cfg, fmt.Errorf("-only: unknown scenario %q; the scenarios are %s (and %s, which run their pair)", name,
					strings.Join(scenarioNames(), ", "), strings.Join(slices.Sorted(maps.Keys(scenarioAliases)), ", "))
			}
			if !slices.Contains(cfg.Only, name) {
				cfg.Only = append(cfg.Only, name)
			}
		}
	}
	switch {
	case cfg.Duration <= 0:
		return cfg, fmt.Errorf("-duration must be positive")
	case cfg.Rounds < 1 || cfg.Rounds > 100:
		return cfg, fmt.Errorf("-rounds must be between 1 and 100")
	case cfg.Warmup < 0:
		return cfg, fmt.Errorf("-warmup cannot be negative")
	case cfg.Clients < 1 || cfg.Clients > 4096:
		return cfg, fmt.Errorf("-clients must be between 1 and 4096")
	case cfg.Size < minSize || cfg.Size > 512<<10:
		return cfg, fmt.Errorf("-size must be between %d and 524288 bytes", minSize)
	case cfg.Rows < 2:
		return cfg, fmt.Errorf("-rows must be at least 2")
	case cfg.CacheTTL < 0:
		return cfg, fmt.Errorf("-cache-ttl cannot be negative")
	case cfg.Sessions < cfg.Clients || cfg.Sessions > 1_000_000:
		return cfg, fmt.Errorf("-sessions must be between -clients (%d) and 1000000", cfg.Clients)
	}
	if cfg.Serve != "" {
		return cfg, nil
	}
	if err := loopbackURL("-redis", cfg.RedisURL); err != nil {
		return cfg, err
	}
	if err := loopbackDSN("-mysql", cfg.MySQL); err != nil {
		return cfg, err
	}
	if _, err := clusterAddrs(cfg.RedisCluster); err != nil {
		return cfg, err
	}
	if cfg.Memcached != "" {
		host, _, err := net.SplitHostPort(cfg.Memcached)
		if err != nil {
			return cfg, fmt.Errorf("-memcached: %q is not a host:port such as 127.0.0.1:11211", cfg.Memcached)
		}
		if err := loopbackHost("-memcached", host); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// selected reports whether a scenario is to run.
func (c config) selected(name string) bool {
	return len(c.Only) == 0 || slices.Contains(c.Only, name)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// scopebench writes keys and databases and sends load: it refuses any
// server that is not on this machine.
func loopbackHost(flagName, host string) error {
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s: %q is not a loopback address: scopebench only loads servers on this machine", flagName, host)
}

func loopbackURL(flagName, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		return fmt.Errorf("%s: %q is not a redis:// URL such as %s", flagName, raw, defaultRedis)
	}
	return loopbackHost(flagName, u.Hostname())
}

// clusterAddrs splits -redis-cluster into its nodes' addresses, each a
// loopback host:port; none when it is empty.
func clusterAddrs(nodes string) ([]string, error) {
	var addrs []string
	for _, node := range strings.Split(nodes, ",") {
		node = strings.TrimSpace(node)
		if node == "" {
			continue
		}
		host, _, err := net.SplitHostPort(node)
		if err != nil {
			return nil, fmt.Errorf("-redis-cluster: %q is not a host:port such as 127.0.0.1:7101", node)
		}
		if err := loopbackHost("-redis-cluster", host); err != nil {
			return nil, err
		}
		addrs = append(addrs, node)
	}
	return addrs, nil
}

func loopbackDSN(flagName, dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("%s: %q is not a go-sql-driver DSN such as %s: %w", flagName, dsn, defaultMySQL, err)
	}
	if cfg.Net != "tcp" {
		return fmt.Errorf("%s: %q: scopebench needs a tcp address such as tcp(127.0.0.1:3306)", flagName, dsn)
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("%s: %q: %w", flagName, cfg.Addr, err)
	}
	return loopbackHost(flagName, host)
}
