package main

import (
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Config is every global setting, read once from flags and SCOPESTORE_*
// variables and handed down.
type Config struct {
	Addr         string
	DataDir      string
	ConfigDSN    string
	SecretKey    string
	MaxScopeSize byteSize
	// MemoryBudget bounds what the instance holds in memory: the memory
	// storage's scopes and the copies of scopes in other storages.
	MemoryBudget byteSize
	// GCHeapFloor is the heap size below which the garbage collector
	// does not run (see tuneGC); 0 leaves Go's collector as it is.
	GCHeapFloor     byteSize
	IdleTime        time.Duration
	ResolveTime     time.Duration
	RotateGrace     time.Duration
	CleanerInterval time.Duration
	// AuditRetention is how long audit entries are kept (0: for ever).
	AuditRetention  time.Duration
	CacheTTL        time.Duration
	ShutdownTimeout time.Duration
	LogLevel        string
	LogFormat       string
	AdminPassword   string
	MetricsToken    string
	// Server and Token send the commands that can reach a running server
	// there, over the admin JSON API, instead of the data directory.
	Server, Token string

	// WebhookAllowHTTP lets end-of-scope webhooks use plain http.
	WebhookAllowHTTP bool
	// WebhookAllowNetworks are the internal networks that webhooks may
	// reach anyway (loopback, private, link-local … are refused otherwise).
	WebhookAllowNetworks prefixList
	// TrustedProxies lists the reverse proxies (IPs and CIDRs, comma-separated)
	// whose X-Forwarded-For or X-Real-IP names the client; from anybody else
	// those headers are ignored, so that they cannot dodge a per-address limit.
	TrustedProxies string
	// PreviousSecretKeys are the secret keys used before SecretKey,
	// comma-separated: they still open the client scope tokens they sealed.
	PreviousSecretKeys string
}

// defaultMemoryBudget is --memory-budget's default: about 500,000 sessions
// of 1 KiB in the memory storage.
const defaultMemoryBudget = 1 << 30

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
		MemoryBudget:    defaultMemoryBudget,
		GCHeapFloor:     defaultGCHeapFloor,
		IdleTime:        scopes.DefaultIdleTime,
		ResolveTime:     scopes.DefaultResolveTime,
		RotateGrace:     scopes.DefaultRotateGrace,
		CleanerInterval: time.Hour,
		AuditRetention:  365 * 24 * time.Hour,
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
	fs.StringVar(&c.PreviousSecretKeys, "previous-secret-keys", c.PreviousSecretKeys, "comma-separated secret keys used before --secret-key: they still open the cookie-stored client scopes' tokens they sealed, until those expire, and decrypt the connection passwords they encrypted, until 'scopestore connection rekey' encrypts those with --secret-key")
	fs.Var(&c.MaxScopeSize, "max-scope-size", "largest `size` of scope data accepted, e.g. 1MiB, 512KiB or bytes")
	fs.Var(&c.MemoryBudget, "memory-budget", "most `size` this instance holds in memory: the memory storage's scopes and the copies of other storages' scopes (copies give way first, then writes to memory get 507); 0: no budget")
	fs.Var(&c.GCHeapFloor, "gc-heap-floor", "heap `size` up to which the garbage collector lets the heap grow before it runs while the live heap is small, e.g. 16MiB, for less CPU spent collecting; 0: Go's default (a GOGC variable also leaves it)")
	fs.DurationVar(&c.IdleTime, "idle-time", c.IdleTime, "how long an unused scope with cluster=false stays in memory")
	fs.DurationVar(&c.ResolveTime, "resolve-time", c.ResolveTime, "how long a write that a storage did not answer is sent again to learn whether it was applied, before it is answered 503")
	fs.DurationVar(&c.RotateGrace, "rotate-grace", c.RotateGrace, "how long the old cfid of a rotated session still answers, read-only, naming the new one (0: it ends at once)")
	fs.DurationVar(&c.CleanerInterval, "cleaner-interval", c.CleanerInterval, "how often expired scopes are deleted from file and datasource storages")
	fs.DurationVar(&c.AuditRetention, "audit-retention", c.AuditRetention, "how long the audit log keeps an entry, e.g. 2160h for 90 days (0: for ever)")
	fs.DurationVar(&c.CacheTTL, "cache-ttl", c.CacheTTL, "how long apps, keys and settings read from the config store are trusted (0 turns caching off)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long a shutdown waits for requests in flight")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (the commands other than serve log at warn unless it is given)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json")
	fs.StringVar(&c.AdminPassword, "admin-password", c.AdminPassword, "password of the console's user admin, replacing the setup step (prefer SCOPESTORE_ADMIN_PASSWORD: flags show in the process list)")
	fs.StringVar(&c.MetricsToken, "metrics-token", c.MetricsToken, "bearer token that GET /metrics requires (default: none, /metrics is open; prefer SCOPESTORE_METRICS_TOKEN: flags show in the process list)")
	fs.StringVar(&c.Server, "server", c.Server, "URL of a running scopestore, e.g. http://127.0.0.1:8080, that the commands sessions, app list and connection list reach over HTTP instead of the data directory; they then see what that server sees, the memory storage too")
	fs.StringVar(&c.Token, "token", c.Token, "admin API token for --server, from the console's API tokens page or 'scopestore admin token create' (prefer SCOPESTORE_TOKEN: flags show in the process list)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For or X-Real-IP names the client (default: none, the connection's address is the client's)")
	fs.BoolVar(&c.WebhookAllowHTTP, "webhook-allow-http", c.WebhookAllowHTTP, "let end-of-scope webhooks use plain http (default: https only)")
	fs.Var(&c.WebhookAllowNetworks, "webhook-allow-networks", "comma-separated CIDRs or IPs of internal networks that end-of-scope webhooks may reach, e.g. 10.1.2.0/24 (default: none; loopback, private, link-local, CGNAT, multicast and unspecified addresses are refused)")
	return []string{"addr", "data-dir", "config-dsn", "secret-key", "previous-secret-keys", "max-scope-size", "memory-budget", "gc-heap-floor", "idle-time", "resolve-time", "rotate-grace", "cleaner-interval", "audit-retention", "cache-ttl", "shutdown-timeout", "log-level", "log-format", "admin-password", "metrics-token", "server", "token", "trusted-proxies", "webhook-allow-http", "webhook-allow-networks"}
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
	case c.MemoryBudget != 0 && c.MemoryBudget < 16<<20:
		return bad("memory-budget", "must be 0 (no budget) or at least 16MiB")
	case c.GCHeapFloor != 0 && (c.GCHeapFloor < 4<<20 || c.GCHeapFloor > 64<<30):
		return bad("gc-heap-floor", "must be 0 (Go's default) or between 4MiB and 64GiB")
	case c.AuditRetention < 0:
		return bad("audit-retention", "must be 0 (keep every entry) or a duration like 2160h")
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
	if _, err := parseTrustedProxies(c.TrustedProxies); err != nil {
		return bad("trusted-proxies", "%v; list the proxies' addresses separated by commas, e.g. 10.0.0.5,192.168.1.0/24", err)
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

func (b *byteSize) String() string { return scopes.FormatSize(int64(*b)) }

func (b *byteSize) Set(s string) error {
	n, err := scopes.ParseSize(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}
