package main

import (
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Config is every global setting, read once from flags and SCOPESTORE_*
// variables and handed down.
type Config struct {
	Addr            string
	DataDir         string
	ConfigDSN       string
	SecretKey       string
	MaxScopeSize    byteSize
	IdleTime        time.Duration
	ResolveTime     time.Duration
	RotateGrace     time.Duration
	CleanerInterval time.Duration
	CacheTTL        time.Duration
	ShutdownTimeout time.Duration
	LogLevel        string
	LogFormat       string
	AdminPassword   string
	MetricsToken    string
}

// maxResolveTime bounds --resolve-time below how long the Redis storage
// keeps the marker by which it recognises a write sent again.
const maxResolveTime = 50 * time.Second

// maxRotateGrace bounds --rotate-grace: past a few minutes the old cfid
// would be a second way into the session, which rotating is meant to end.
const maxRotateGrace = 5 * time.Minute

// defaultConfig is what scopestore runs on with no flags and no environment.
func defaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./data",
		MaxScopeSize:    scopes.DefaultMaxScopeSize,
		IdleTime:        scopes.DefaultIdleTime,
		ResolveTime:     scopes.DefaultResolveTime,
		RotateGrace:     scopes.DefaultRotateGrace,
		CleanerInterval: time.Hour,
		CacheTTL:        scopes.DefaultCacheTTL,
		ShutdownTimeout: 30 * time.Second,
		LogLevel:        "info",
		LogFormat:       "text",
	}
}

// register adds the global flags to fs and returns their names.
func (c *Config) register(fs *flag.FlagSet) []string {
	fs.StringVar(&c.Addr, "addr", c.Addr, "address the HTTP server listens on")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the file storage, the default config store and the secret key")
	fs.StringVar(&c.ConfigDSN, "config-dsn", c.ConfigDSN, "config store: empty for SQLite in the data directory, or mysql://user:pass@tcp(host:3306)/db, postgres://user@host/db, sqlite://PATH")
	fs.StringVar(&c.SecretKey, "secret-key", c.SecretKey, "32-byte key, base64 or hex, that encrypts connection passwords at rest (default: generated into <data-dir>/secret.key)")
	fs.Var(&c.MaxScopeSize, "max-scope-size", "largest `size` of scope data accepted, e.g. 1MiB, 512KiB or bytes")
	fs.DurationVar(&c.IdleTime, "idle-time", c.IdleTime, "how long an unused scope with cluster=false stays in memory")
	fs.DurationVar(&c.ResolveTime, "resolve-time", c.ResolveTime, "how long a write that a storage did not answer is sent again to learn whether it was applied, before it is answered 503")
	fs.DurationVar(&c.RotateGrace, "rotate-grace", c.RotateGrace, "how long the old cfid of a rotated session still answers, read-only, naming the new one (0: it ends at once)")
	fs.DurationVar(&c.CleanerInterval, "cleaner-interval", c.CleanerInterval, "how often expired scopes are deleted from file and datasource storages")
	fs.DurationVar(&c.CacheTTL, "cache-ttl", c.CacheTTL, "how long apps, keys and settings read from the config store are trusted (0 turns caching off)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long a shutdown waits for requests in flight")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json")
	fs.StringVar(&c.AdminPassword, "admin-password", c.AdminPassword, "password of the console's user admin, replacing the setup step (prefer SCOPESTORE_ADMIN_PASSWORD: flags show in the process list)")
	fs.StringVar(&c.MetricsToken, "metrics-token", c.MetricsToken, "bearer token that GET /metrics requires (default: none, /metrics is open; prefer SCOPESTORE_METRICS_TOKEN: flags show in the process list)")
	return []string{"addr", "data-dir", "config-dsn", "secret-key", "max-scope-size", "idle-time", "resolve-time", "rotate-grace", "cleaner-interval", "cache-ttl", "shutdown-timeout", "log-level", "log-format", "admin-password", "metrics-token"}
}

// validate checks the settings together, naming the flag and its variable.
func (c *Config) validate() error {
	bad := func(flagName, format string, args ...any) error {
		return usageErrorf("--%s (%s): %s", flagName, envName(flagName), fmt.Sprintf(format, args...))
	}
	switch {
	case strings.TrimSpace(c.Addr) == "":
		return bad("addr", "an address like 127.0.0.1:8080 is required")
	case strings.TrimSpace(c.DataDir) == "":
		return bad("data-dir", "a directory is required")
	case c.MaxScopeSize < 1024 || c.MaxScopeSize > 64<<20:
		return bad("max-scope-size", "must be between 1KiB and 64MiB")
	case c.IdleTime < time.Second:
		return bad("idle-time", "must be at least 1s")
	case c.ResolveTime < time.Second || c.ResolveTime > maxResolveTime:
		return bad("resolve-time", "must be between 1s and %s: Redis remembers a write for %s to recognise it when it is sent again", maxResolveTime, 2*scopes.DefaultResolveTime)
	case c.RotateGrace < 0 || c.RotateGrace > maxRotateGrace:
		return bad("rotate-grace", "must be between 0 and %s: requests in flight with the old cookie need seconds, not longer", maxRotateGrace)
	case c.CleanerInterval < time.Second:
		return bad("cleaner-interval", "must be at least 1s")
	case c.CacheTTL < 0:
		return bad("cache-ttl", "cannot be negative")
	case c.ShutdownTimeout < 0:
		return bad("shutdown-timeout", "cannot be negative")
	case c.LogFormat != "text" && c.LogFormat != "json":
		return bad("log-format", "must be text or json")
	case c.MetricsToken != "" && len(c.MetricsToken) < minMetricsToken:
		return bad("metrics-token", "must be at least %d characters (make one with: openssl rand -hex 32)", minMetricsToken)
	case strings.IndexFunc(c.MetricsToken, notTokenRune) >= 0:
		return bad("metrics-token", "must be printable ASCII without spaces, as an Authorization header carries it")
	}
	if _, err := c.level(); err != nil {
		return bad("log-level", "must be debug, info, warn or error")
	}
	return nil
}

// minMetricsToken is the shortest --metrics-token accepted: long enough that
// it cannot be guessed.
const minMetricsToken = 16

// notTokenRune tells the characters a bearer token cannot carry.
func notTokenRune(r rune) bool { return r <= ' ' || r > '~' }

func (c *Config) level() (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(c.LogLevel))
	return l, err
}

// byteSize is a size flag that takes bytes or a KiB/MiB suffix.
type byteSize int

func (b *byteSize) String() string {
	switch {
	case *b > 0 && *b%(1<<20) == 0:
		return strconv.Itoa(int(*b>>20)) + "MiB"
	case *b > 0 && *b%(1<<10) == 0:
		return strconv.Itoa(int(*b>>10)) + "KiB"
	}
	return strconv.Itoa(int(*b))
}

func (b *byteSize) Set(s string) error {
	s = strings.TrimSpace(s)
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"MiB", 1 << 20}, {"MB", 1 << 20}, {"M", 1 << 20}, {"KiB", 1 << 10}, {"KB", 1 << 10}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a size like 1MiB, 512KiB or 4096", s)
	}
	*b = byteSize(n * mult)
	return nil
}
