package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	goredis "github.com/redis/go-redis/v9"
)

// The names scopebench gives what it creates in scopestore.
const (
	benchApp         = "bench"
	redisConn        = "r"
	redisClusterConn = "rc"
	mysqlConn        = "m"
	sessionsPath     = "/api/v1/apps/" + benchApp + "/sessions"
	// benchTimeout is the bench app's session timeout: long enough that a
	// load of a row filled minutes before is no visit due for a write (see
	// scopes.visitDue), so that rows-1m and cleaner measure reads only.
	benchTimeout = "1d"
)

// scopesPerClient is how many scopes each client creates and cycles through.
const scopesPerClient = 8

// cleanupTimeout bounds the whole cleanup, which runs even after an interrupt.
const cleanupTimeout = 2 * time.Minute

// bench is one run: the children, the resources it created, and what it measured.
type bench struct {
	cfg config
	log io.Writer
	// id makes the run's Redis prefix and database names unique.
	id      string
	tmp     string
	dataDir string
	bin     string
	self    string

	redisOpts *goredis.Options
	// prefix is the run's Redis key prefix, on the standalone Redis and on
	// the Cluster alike.
	prefix       string
	mysqlCfg     *mysql.Config // the server, no database
	dbName       string        // scopestore's mysql storage
	baseDB       string        // lucee-sql's and the raw cycle's tables
	db           *sql.DB       // to dbName, for filling rows
	redisVersion string
	mysqlVersion string
	// clusterAddrs are the Redis Cluster's nodes, when redis-cluster-3 runs.
	clusterAddrs   []string
	clusterVersion string
	clusterMasters int
	// memcachedAddr is the memcached of the memcached scenario, once it ran.
	memcachedAddr string

	server *child
	key    string
	// cur is the bench app's session storage and cluster mode as set.
	cur sessionSettings
	// data is the scope data of every save: -size bytes of JSON.
	data []byte

	measured map[string]*stats
	order    []string
	// live counts the unexpired rows scopebench filled into cf_session_data;
	// reservoir holds a uniform sample of BaseRows of their cfids.
	live      int
	reservoir []string

	cleanups []func(context.Context) error
}

type sessionSettings struct {
	storage string
	cluster bool
}

// progress reports a step on stderr.
func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.log, "scopebench: "+format+"\n", args...)
}

// onCleanup registers fn to run at the end, last registered first.
func (b *bench) onCleanup(fn func(context.Context) error) { b.cleanups = append(b.cleanups, fn) }

// cleanup runs every registered cleanup, even after an interrupt, and
// returns their failures.
func (b *bench) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	var errs []error
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		errs = append(errs, b.cleanups[i](ctx))
	}
	return errors.Join(errs...)
}

// runBench runs the selected scenarios and returns their report.
func runBench(ctx context.Context, cfg config, log io.Writer) (rep *report, err error) {
	b := &bench{cfg: cfg, log: log, measured: map[string]*stats{}, data: makeData(cfg.Size), cur: sessionSettings{"memory", false}}
	defer func() {
		if cerr := b.cleanup(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("cleanup: %w", cerr))
		}
	}()
	rep = &report{cfg: cfg}
	var failed []error
	// A scenario whose server was not given, or whose tool (node) is
	// missing, is skipped with a note when every scenario runs, and fails
	// when -only asked for it.
	var names []string
	for _, name := range runOrder {
		sc := scenarioNamed(name)
		if !cfg.selected(name) {
			continue
		}
		if why := sc.whyNot(cfg); why != "" {
			if len(cfg.Only) == 0 {
				b.progress("skipping %s: %s", name, why)
				rep.notes = append(rep.notes, name+": skipped: "+why)
				continue
			}
			err := errors.New(why)
			rep.results = append(rep.results, Result{Scenario: sc.name, Target: sc.target, err: err})
			failed = append(failed, fmt.Errorf("%s: %w", name, err))
			continue
		}
		names = append(names, name)
	}
	if len(names) > 0 {
		if err := b.setup(ctx, names); err != nil {
			return nil, err
		}
	}
	rep.machine = b.machine()
	for _, name := range names {
		sc := scenarioNamed(name)
		if ctx.Err() != nil {
			failed = append(failed, fmt.Errorf("stopped before %s: %w", name, ctx.Err()))
			break
		}
		b.progress("scenario %s", name)
		res, err := sc.run(b, ctx)
		res.Scenario, res.Target = sc.name, sc.target
		if err != nil {
			res.err = err
			failed = append(failed, fmt.Errorf("%s: %w", name, err))
			b.progress("%s failed: %v", name, err)
		} else {
			res.Met = sc.isMet(res)
		}
		rep.results = append(rep.results, res)
	}
	if b.redisOpts != nil && ctx.Err() == nil {
		rep.notes = append(rep.notes, b.idleRedisCleaner(ctx))
	}
	rep.sortResults()
	for _, name := range b.order {
		rep.measurements = append(rep.measurements, b.measured[name])
	}
	return rep, errors.Join(failed...)
}

// setup builds scopestore, prepares the servers that the scenarios in names
// need, creates the app and its connections, and starts the server.
func (b *bench) setup(ctx context.Context, names []string) error {
	var id [4]byte
	_, _ = rand.Read(id[:])
	b.id = hex.EncodeToString(id[:])
	b.prefix = "scopebench:" + b.id + ":"
	tmp, err := os.MkdirTemp("", "scopebench-")
	if err != nil {
		return err
	}
	b.tmp, b.dataDir = tmp, filepath.Join(tmp, "data")
	b.onCleanup(func(context.Context) error { return os.RemoveAll(tmp) })
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	if err := b.build(ctx); err != nil {
		return err
	}
	needRedis, needCluster, needMySQL := false, false, false
	for _, name := range names {
		sc := scenarioNamed(name)
		needRedis = needRedis || sc.redis
		needCluster = needCluster || sc.redisCluster
		needMySQL = needMySQL || sc.mysql
	}
	if needRedis {
		if err := b.setupRedis(ctx); err != nil {
			return err
		}
	}
	if needCluster {
		if err := b.setupRedisCluster(ctx); err != nil {
			return err
		}
	}
	if needMySQL {
		if err := b.setupMySQL(ctx); err != nil {
			return err
		}
	}

	key, err := b.cli(ctx, "app", "create", benchApp)
	if err != nil {
		return err
	}
	b.key = strings.TrimSpace(key)
	if needRedis {
		if _, err := b.cli(ctx, "connection", "create", "--name", redisConn, "--type", "redis",
			"--url", b.cfg.RedisURL, "--prefix", b.prefix, "--storage"); err != nil {
			return err
		}
	}
	if needCluster {
		if _, err := b.cli(ctx, "connection", "create", "--name", redisClusterConn, "--type", "redis", "--mode", "cluster",
			"--host", strings.Join(b.clusterAddrs, ","), "--prefix", b.prefix, "--storage"); err != nil {
			return err
		}
	}
	if needMySQL {
		cfg := b.mysqlCfg.Clone()
		cfg.DBName = b.dbName
		if _, err := b.cli(ctx, "connection", "create", "--name", mysqlConn, "--type", "mysql",
			"--dsn", cfg.FormatDSN(), "--storage"); err != nil {
			return err
		}
	}
	// The limits guard an instance against one app's flood (issue 12); a
	// benchmark is such a flood on purpose and measures speed, not them.
	if _, err := b.cli(ctx, "app", "settings", benchApp, "--session-timeout", benchTimeout,
		"--max-create-rate", "0", "--max-scopes", "0", "--max-memory", "0"); err != nil {
		return err
	}
	b.server, err = b.startScopestore(ctx, "scopestore")
	return err
}

// build compiles scopestore into the run's directory, unless -scopestore
// names a binary.
func (b *bench) build(ctx context.Context) error {
	if b.cfg.Scopestore != "" {
		b.bin = b.cfg.Scopestore
		return nil
	}
	b.bin = filepath.Join(b.tmp, "scopestore")
	b.progress("building scopestore")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", b.bin, "github.com/scopestore/scopestore/cmd/scopestore").CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build scopestore (run scopebench inside the module, or give a binary with -scopestore): %w\n%s", err, out)
	}
	return nil
}

func (b *bench) setupRedis(ctx context.Context) error {
	opts, err := goredis.ParseURL(b.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	b.redisOpts = opts
	client := goredis.NewClient(opts)
	defer client.Close()
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	info, err := client.Info(pctx, "server").Result()
	if err != nil {
		return fmt.Errorf("the Redis at %s does not answer (start it, or leave out the Redis scenarios with -only): %w", opts.Addr, err)
	}
	b.redisVersion = infoField(info, "redis_version")
	b.onCleanup(b.deleteRedisKeys)
	return nil
}

// deleteRedisKeys deletes every key under the run's prefix, with SCAN.
func (b *bench) deleteRedisKeys(ctx context.Context) error {
	client := goredis.NewClient(b.redisOpts)
	defer client.Close()
	var cursor uint64
	deleted := 0
	for {
		keys, next, err := client.Scan(ctx, cursor, b.prefix+"*", 1000).Result()
		if err != nil {
			return fmt.Errorf("delete Redis keys %s*: %w", b.prefix, err)
		}
		if len(keys) > 0 {
			if err := client.Unlink(ctx, keys...).Err(); err != nil {
				return fmt.Errorf("delete Redis keys %s*: %w", b.prefix, err)
			}
			deleted += len(keys)
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	b.progress("deleted %d Redis keys under %s", deleted, b.prefix)
	return nil
}

func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return "?"
}

func (b *bench) setupMySQL(ctx context.Context) error {
	cfg, err := mysql.ParseDSN(b.cfg.MySQL)
	if err != nil {
		return fmt.Errorf("-mysql: %w", err)
	}
	cfg.DBName = ""
	b.mysqlCfg = cfg
	b.dbName, b.baseDB = "scopebench_"+b.id, "scopebench_"+b.id+"_base"
	admin, err := openMySQL(cfg)
	if err != nil {
		return err
	}
	defer admin.Close()
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := admin.QueryRowContext(pctx, "SELECT VERSION()").Scan(&b.mysqlVersion); err != nil {
		return fmt.Errorf("MariaDB at %s does not answer (start it, or leave out the MySQL scenarios with -only): %w", cfg.Addr, err)
	}
	for _, name := range []string{b.dbName, b.baseDB} {
		b.onCleanup(func(ctx context.Context) error { return b.dropDatabase(ctx, name) })
		if _, err := admin.ExecContext(pctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
			return fmt.Errorf("create database %s: %w", name, err)
		}
	}
	base := cfg.Clone()
	base.DBName = b.baseDB
	bdb, err := openMySQL(base)
	if err != nil {
		return err
	}
	defer bdb.Close()
	for _, stmt := range []string{luceeTable, rawTable} {
		if _, err := bdb.ExecContext(pctx, stmt); err != nil {
			return fmt.Errorf("create the baseline tables: %w", err)
		}
	}
	main := cfg.Clone()
	main.DBName = b.dbName
	if b.db, err = openMySQL(main); err != nil {
		return err
	}
	b.onCleanup(func(context.Context) error { return b.db.Close() })
	return nil
}

func (b *bench) dropDatabase(ctx context.Context, name string) error {
	admin, err := openMySQL(b.mysqlCfg)
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	b.progress("dropped database %s", name)
	return nil
}

// cli runs a scopestore command on the run's data directory and returns its
// standard output.
func (b *bench) cli(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.bin, args...)
	cmd.Env = childEnv("SCOPESTORE_DATA_DIR="+b.dataDir, "SCOPESTORE_LOG_FORMAT=text")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("scopestore %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// startScopestore runs scopestore serve on a loopback port on the run's
// data directory, with extra flags, and stops it at cleanup at the latest.
func (b *bench) startScopestore(ctx context.Context, name string, extra ...string) (*child, error) {
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", b.dataDir,
		"--cache-ttl", b.cfg.CacheTTL.String(), "--log-format", "text", "--log-level", "info"}, extra...)
	c, err := startChild(ctx, name, b.bin, args, childEnv(), filepath.Join(b.tmp, name+".log"))
	if err != nil {
		return nil, err
	}
	b.onCleanup(func(context.Context) error { c.Stop(); return nil })
	return c, nil
}

// startBare runs a bare server, this program again with -serve.
func (b *bench) startBare(ctx context.Context, name string) (*child, error) {
	args := []string{"-serve", name, "-addr", "127.0.0.1:0", "-redis", b.cfg.RedisURL,
		"-redis-cluster", strings.Join(b.clusterAddrs, ","), "-memcached", b.memcachedAddr, "-prefix", b.prefix}
	if b.mysqlCfg != nil {
		base := b.mysqlCfg.Clone()
		base.DBName = b.baseDB
		args = append(args, "-dsn", base.FormatDSN())
	}
	c, err := startChild(ctx, name, b.self, args, childEnv(), filepath.Join(b.tmp, name+".log"))
	if err != nil {
		return nil, err
	}
	b.onCleanup(func(context.Context) error { c.Stop(); return nil })
	return c, nil
}

// useSettings sets the bench app's session storage and cluster mode and
// waits until the server applies them (within its --cache-ttl).
func (b *bench) useSettings(ctx context.Context, storage string, cluster bool) error {
	want := sessionSettings{storage, cluster}
	if b.cur == want {
		return nil
	}
	if _, err := b.cli(ctx, "app", "settings", benchApp, "--session-storage", storage, "--session-cluster", strconv.FormatBool(cluster)); err != nil {
		return err
	}
	b.cur = want
	return b.waitSettings(ctx, b.server, want)
}

// waitSettings polls the server's GET settings until it shows want.
func (b *bench) waitSettings(ctx context.Context, c *child, want sessionSettings) error {
	w := newWorker(0)
	defer w.close()
	deadline := time.Now().Add(b.cfg.CacheTTL + 15*time.Second)
	for {
		body, err := w.do(ctx, "GET", c.addr+"/api/v1/apps/"+benchApp+"/settings", b.key, nil, 200, true)
		if err != nil {
			return err
		}
		var v struct {
			Settings struct {
				Storage string `json:"sessionStorage"`
				Cluster bool   `json:"sessionCluster"`
			} `json:"settings"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("GET settings: %w", err)
		}
		if (sessionSettings{v.Settings.Storage, v.Settings.Cluster}) == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still shows sessionStorage %s, sessionCluster %t after %s", c.name, v.Settings.Storage, v.Settings.Cluster, b.cfg.CacheTTL+15*time.Second)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// measureOnce runs a measurement the first time it is asked for and returns
// its stats afterwards: a baseline shared by two scenarios runs once.
func (b *bench) measureOnce(ctx context.Context, name string, fn func(ctx context.Context) (*stats, error)) (*stats, error) {
	if s, ok := b.measured[name]; ok {
		return s, s.err()
	}
	b.progress("  measuring %s", name)
	s, err := fn(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b.record(s)
	return s, s.err()
}

// machine describes where the run ran.
func (b *bench) machine() string {
	parts := []string{fmt.Sprintf("%d CPUs (%s)", numCPU(), cpuModel()), memTotal(), goVersion()}
	if b.redisVersion != "" {
		parts = append(parts, "Redis "+b.redisVersion)
	}
	if b.clusterVersion != "" {
		parts = append(parts, b.clusterDescription())
	}
	if b.mysqlVersion != "" {
		parts = append(parts, "MariaDB/MySQL "+b.mysqlVersion)
	}
	return strings.Join(parts, ", ")
}
