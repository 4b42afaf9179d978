package sqlstore

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

// OpenPostgres returns a store over the scope tables (see kindTables) of a
// postgres connection. Like OpenMySQL it does not connect: the
// first call that needs the database does, and creates or migrates the
// tables then; only a connection definition that cannot work fails here.
//
// The parameters: url (postgres://user:password@host:5432/db?sslmode=…, as
// pgx reads it), or host, port (5432), database and username; the password
// is the connection's Secret unless the URL has one. pool_size (default 20)
// bounds the open connections; timeout (default 5s) bounds connecting.
// PostgreSQL has no per-read timeout: statements end with their contexts.
func OpenPostgres(ctx context.Context, c scopes.Connection) (*Store, error) {
	p := c.Params
	bad := func(format string, args ...any) (*Store, error) {
		return nil, scopes.Errorf(scopes.EInvalidSettings, "connection %q: "+format, append([]any{c.Name}, args...)...)
	}
	raw := p["url"]
	if raw == "" {
		if p["host"] == "" || p["database"] == "" {
			return bad("give a url, or a host and a database")
		}
		port := p["port"]
		if port == "" {
			port = "5432"
		}
		u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(p["host"], port), Path: "/" + p["database"]}
		if p["username"] != "" {
			u.User = url.User(p["username"])
		}
		raw = u.String()
	}
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		// pgx's message may quote the URL, password and all.
		return bad("url is not a PostgreSQL URL such as postgres://user@127.0.0.1:5432/sessions")
	}
	if cfg.Database == "" {
		return bad("no database is named: the scope tables need one")
	}
	if cfg.Password == "" {
		cfg.Password = c.Secret
	}
	if v := p["timeout"]; v != "" {
		d, err := scopes.ParseTimeout(v)
		if err != nil {
			return bad("timeout: %v", err)
		}
		cfg.ConnectTimeout = d
	} else if !strings.Contains(raw, "connect_timeout") {
		cfg.ConnectTimeout = defaultDialTimeout
	}
	if _, set := cfg.RuntimeParams["application_name"]; !set {
		cfg.RuntimeParams["application_name"] = "scopestore"
	}
	pool := defaultPoolSize
	if v := p["pool_size"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return bad("pool_size %q must be a number from 1", v)
		}
		pool = n
	}

	db := sqlx.NewDb(stdlib.OpenDB(*cfg), "pgx")
	db.SetMaxOpenConns(pool)
	db.SetMaxIdleConns(pool)
	db.SetConnMaxLifetime(connMaxLifetime)
	db.SetConnMaxIdleTime(connMaxIdleTime)

	s := newStore(postgresDialect, db, db)
	s.addr = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	s.log = s.log.With("connection", c.Name)
	s.log.DebugContext(ctx, "sqlstore: opened; the tables are prepared on first use", "addr", s.addr, "database", cfg.Database)
	return s, nil
}
