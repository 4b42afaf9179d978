package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

// Connection defaults of the mysql and postgres connection types.
const (
	defaultPoolSize     = 20
	defaultDialTimeout  = 5 * time.Second
	defaultReadTimeout  = 30 * time.Second
	defaultWriteTimeout = 30 * time.Second
	// connMaxLifetime retires connections well before a server's
	// wait_timeout (8 hours by default, often cut to minutes) or a proxy's
	// idle timeout closes them under the pool.
	connMaxLifetime = 5 * time.Minute
	connMaxIdleTime = 2 * time.Minute
)

// OpenMySQL returns a store over the scope tables (see kindTables) of a
// mysql connection (MySQL or MariaDB). It does not connect: the
// first call that needs the database does, and creates or migrates the
// tables then (see Migrate), so that scopestore starts while the server is
// down; until it is back every call fails and the next one tries again.
// Only a connection definition that cannot work fails here.
//
// The parameters: dsn (a go-sql-driver DSN, user:password@tcp(host:3306)/db,
// an optional mysql:// before it), or host, port (3306), database and
// username; the password is the connection's Secret unless the DSN has one.
// strict (default true) sets sql_mode TRADITIONAL, so that a value that does
// not fit fails rather than being truncated; false keeps the server's mode.
// pool_size (default 20) bounds the open connections; timeout (default 5s)
// bounds connecting, and reads and writes on a connection wait up to 30s.
// prepare (default true) runs Load's and Write's statements prepared on the
// server (see preparedStmts); false sends them as text, as every other
// statement is, for a proxy in front of the server that handles prepared
// statements badly.
func OpenMySQL(ctx context.Context, c scopes.Connection) (*Store, error) {
	cfg, opts, err := mysqlConfig(c)
	if err != nil {
		return nil, err
	}
	main, err := openMySQLPool(cfg)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: connection %q: %w", c.Name, err)
	}
	main.SetMaxOpenConns(opts.pool)
	main.SetMaxIdleConns(opts.pool)
	main.SetConnMaxLifetime(connMaxLifetime)
	main.SetConnMaxIdleTime(connMaxIdleTime)

	// Migrations rebuild tables and Tables counts rows: statements that may
	// run for minutes, past the read timeout that guards requests against a
	// server that stopped answering. They get a small pool of their own
	// without it, bounded by their contexts instead.
	long := cfg.Clone()
	long.ReadTimeout = 0
	admin, err := openMySQLPool(long)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sqlstore: connection %q: %w", c.Name, err), main.Close())
	}
	admin.SetMaxOpenConns(2)
	admin.SetMaxIdleConns(1)
	admin.SetConnMaxLifetime(connMaxLifetime)
	admin.SetConnMaxIdleTime(connMaxIdleTime)

	s := newStore(mysqlDialect, main, main)
	s.stmts.off = !opts.prepare
	s.admin, s.inspect = admin, admin
	s.addr = cfg.Addr
	s.locks = newLockNames(cfg.DBName)
	s.log = s.log.With("connection", c.Name)
	s.log.DebugContext(ctx, "sqlstore: opened; the tables are prepared on first use", "addr", cfg.Addr, "database", cfg.DBName)
	return s, nil
}

func openMySQLPool(cfg *mysql.Config) (*sqlx.DB, error) {
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sqlx.NewDb(sql.OpenDB(connector), "mysql"), nil
}

// mysqlOptions are a mysql connection's parameters that are not the
// driver's.
type mysqlOptions struct {
	pool    int  // pool_size
	prepare bool // prepare
}

// mysqlConfig reads a mysql connection's parameters into a driver
// configuration and the store's options.
func mysqlConfig(c scopes.Connection) (*mysql.Config, mysqlOptions, error) {
	p := c.Params
	bad := func(format string, args ...any) (*mysql.Config, mysqlOptions, error) {
		return nil, mysqlOptions{}, scopes.Errorf(scopes.EInvalidSettings, "connection %q: "+format, append([]any{c.Name}, args...)...)
	}
	flag := func(name string, def bool) (bool, error) {
		v := p[name]
		if v == "" {
			return def, nil
		}
		b, err := scopes.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("%s %q must be true or false", name, v)
		}
		return b, nil
	}
	var cfg *mysql.Config
	dsn := strings.TrimPrefix(p["dsn"], "mysql://")
	if dsn != "" {
		var err error
		if cfg, err = mysql.ParseDSN(dsn); err != nil {
			return bad("dsn is not a go-sql-driver DSN such as user@tcp(127.0.0.1:3306)/sessions: %v", err)
		}
		if cfg.Passwd == "" {
			cfg.Passwd = c.Secret
		}
	} else {
		if p["host"] == "" {
			return bad("give a dsn, or a host and a database")
		}
		cfg = mysql.NewConfig()
		cfg.Net = "tcp"
		port := p["port"]
		if port == "" {
			port = "3306"
		}
		cfg.Addr = net.JoinHostPort(p["host"], port)
		cfg.DBName = p["database"]
		cfg.User = p["username"]
		cfg.Passwd = c.Secret
	}
	if cfg.DBName == "" {
		return bad("no database is named: the scope tables need one (add /database to the dsn, or set database)")
	}

	if v := p["timeout"]; v != "" {
		d, err := scopes.ParseTimeout(v)
		if err != nil {
			return bad("timeout: %v", err)
		}
		cfg.Timeout = d
	} else if cfg.Timeout == 0 {
		cfg.Timeout = defaultDialTimeout
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = defaultReadTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = defaultWriteTimeout
	}

	strict, err := flag("strict", true)
	if err != nil {
		return bad("%v", err)
	}
	opts := mysqlOptions{pool: defaultPoolSize}
	if opts.prepare, err = flag("prepare", true); err != nil {
		return bad("%v", err)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, set := cfg.Params["sql_mode"]; strict && !set {
		// STRICT_ALL_TABLES and more: a value too long for its column is an
		// error, never a silent truncation (Lucee's "throw error upon data
		// truncation").
		cfg.Params["sql_mode"] = "'TRADITIONAL'"
	}
	// One round trip per statement instead of prepare, execute and close;
	// safe with the utf8mb4 connection character set the driver uses.
	if !strings.Contains(dsn, "interpolateParams") {
		cfg.InterpolateParams = true
	}
	// Write tells a live row from a taken-over one by the rows affected
	// (see mysqlDialect.create), which clientFoundRows would blur: it is
	// off whatever the DSN says.
	cfg.ClientFoundRows = false
	// After a failover a connection to the old primary, now read-only, is
	// dropped instead of failing every write.
	cfg.RejectReadOnly = true
	cfg.Logger = mysqlLogger{}

	if v := p["pool_size"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return bad("pool_size %q must be a number from 1", v)
		}
		opts.pool = n
	}
	return cfg, opts, nil
}

// mysqlLogger sends the driver's own messages (a connection found broken,
// say) to slog instead of the standard logger.
type mysqlLogger struct{}

func (mysqlLogger) Print(v ...any) {
	slog.Warn("mysql driver: " + strings.TrimSpace(fmt.Sprint(v...)))
}
