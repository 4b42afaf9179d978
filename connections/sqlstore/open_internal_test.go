package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

func TestMySQLConfig(t *testing.T) {
	conn := func(secret string, params ...string) scopes.Connection {
		c := scopes.Connection{Name: "sessions", Type: "mysql", Secret: secret, Params: map[string]string{}}
		for i := 0; i < len(params); i += 2 {
			c.Params[params[i]] = params[i+1]
		}
		return c
	}
	tests := []struct {
		name string
		c    scopes.Connection
		// check inspects the configuration; "" in wantErr means none.
		check   func(t *testing.T, cfg *mysql.Config, opts mysqlOptions)
		wantErr string
	}{
		{"host and parts", conn("s3cret", "host", "db.internal", "database", "sessions", "username", "lucee"),
			func(t *testing.T, cfg *mysql.Config, opts mysqlOptions) {
				if cfg.Addr != "db.internal:3306" || cfg.DBName != "sessions" || cfg.User != "lucee" || cfg.Passwd != "s3cret" || cfg.Net != "tcp" {
					t.Errorf("cfg %s@%s(%s)/%s password %q", cfg.User, cfg.Net, cfg.Addr, cfg.DBName, cfg.Passwd)
				}
				if cfg.Timeout != 5*time.Second || cfg.ReadTimeout != 30*time.Second || cfg.WriteTimeout != 30*time.Second {
					t.Errorf("timeouts %v %v %v; want 5s, 30s, 30s", cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout)
				}
				if cfg.Params["sql_mode"] != "'TRADITIONAL'" || !cfg.InterpolateParams || !cfg.RejectReadOnly || opts.pool != 20 || !opts.prepare {
					t.Errorf("sql_mode %q, interpolateParams %v, rejectReadOnly %v, pool %d, prepare %v", cfg.Params["sql_mode"], cfg.InterpolateParams, cfg.RejectReadOnly, opts.pool, opts.prepare)
				}
			}, ""},
		{"IPv6 host and port", conn("", "host", "::1", "port", "3307", "database", "s"),
			func(t *testing.T, cfg *mysql.Config, _ mysqlOptions) {
				if cfg.Addr != "[::1]:3307" {
					t.Errorf("addr %q", cfg.Addr)
				}
			}, ""},
		{"dsn with its own password", conn("other", "dsn", "mysql://u:pw@tcp(h:3306)/d?readTimeout=10s&interpolateParams=false"),
			func(t *testing.T, cfg *mysql.Config, _ mysqlOptions) {
				if cfg.Passwd != "pw" || cfg.ReadTimeout != 10*time.Second || cfg.InterpolateParams {
					t.Errorf("password %q, readTimeout %v, interpolateParams %v: the DSN's own settings win", cfg.Passwd, cfg.ReadTimeout, cfg.InterpolateParams)
				}
			}, ""},
		{"found rows stay off", conn("", "dsn", "u@tcp(h:3306)/d?clientFoundRows=true"),
			func(t *testing.T, cfg *mysql.Config, _ mysqlOptions) {
				if cfg.ClientFoundRows {
					t.Error("clientFoundRows from the DSN is on: Write's create would take a live row for a new one")
				}
			}, ""},
		{"dsn takes the secret", conn("s3cret", "dsn", "u@tcp(h:3306)/d"),
			func(t *testing.T, cfg *mysql.Config, _ mysqlOptions) {
				if cfg.Passwd != "s3cret" {
					t.Errorf("password %q", cfg.Passwd)
				}
			}, ""},
		{"not strict, not prepared", conn("", "host", "h", "database", "d", "strict", "false", "timeout", "2s", "pool_size", "3", "prepare", "false"),
			func(t *testing.T, cfg *mysql.Config, opts mysqlOptions) {
				if _, set := cfg.Params["sql_mode"]; set || cfg.Timeout != 2*time.Second || opts.pool != 3 || opts.prepare {
					t.Errorf("sql_mode %q, timeout %v, pool %d, prepare %v", cfg.Params["sql_mode"], cfg.Timeout, opts.pool, opts.prepare)
				}
			}, ""},
		{"dsn's sql_mode", conn("", "dsn", "u@tcp(h:3306)/d?sql_mode=%27ANSI%27"),
			func(t *testing.T, cfg *mysql.Config, _ mysqlOptions) {
				if cfg.Params["sql_mode"] != "'ANSI'" {
					t.Errorf("sql_mode %q", cfg.Params["sql_mode"])
				}
			}, ""},
		{"no database", conn("", "dsn", "u@tcp(h:3306)/"), nil, "no database"},
		{"bad dsn", conn("", "dsn", "u@h:3306/d"), nil, "not a go-sql-driver DSN"},
		{"bad strict", conn("", "host", "h", "database", "d", "strict", "maybe"), nil, "strict"},
		{"bad prepare", conn("", "host", "h", "database", "d", "prepare", "sometimes"), nil, "prepare"},
		{"bad pool", conn("", "host", "h", "database", "d", "pool_size", "0"), nil, "pool_size"},
		{"bad timeout", conn("", "host", "h", "database", "d", "timeout", "soon"), nil, "timeout"},
		{"no host", conn("", "database", "d"), nil, "host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, opts, err := mysqlConfig(tc.c)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || scopes.ErrorCode(err) != scopes.EInvalidSettings {
					t.Fatalf("err %v; want an %s error about %s", err, scopes.EInvalidSettings, tc.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, cfg, opts)
		})
	}
}

func TestOpenPostgresParams(t *testing.T) {
	ctx := context.Background()
	s, err := OpenPostgres(ctx, scopes.Connection{Name: "pg", Type: "postgres", Secret: "s3cret",
		Params: map[string]string{"host": "db.internal", "database": "sessions", "username": "app", "pool_size": "4"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.addr != "db.internal:5432" || s.writer.Stats().MaxOpenConnections != 4 {
		t.Errorf("addr %q, pool %d", s.addr, s.writer.Stats().MaxOpenConnections)
	}
	for _, c := range []scopes.Connection{
		{Name: "pg", Type: "postgres", Params: map[string]string{"url": "postgres://u:s3cret@h:5432/?sslmode=bogus"}},
		{Name: "pg", Type: "postgres", Params: map[string]string{"url": "postgres://h:5432/"}},
		{Name: "pg", Type: "postgres", Params: map[string]string{"host": "h"}},
		{Name: "pg", Type: "postgres", Params: map[string]string{"host": "h", "database": "d", "timeout": "0s"}},
	} {
		s, err := OpenPostgres(ctx, c)
		if err == nil {
			_ = s.Close()
			t.Errorf("OpenPostgres(%v) succeeded", c.Params)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestOpenConnectionTypes(t *testing.T) {
	ctx := context.Background()
	s, err := OpenConnection(ctx, scopes.Connection{Name: "file", Type: "sqlite", Params: map[string]string{"file": t.TempDir() + "/s.db"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if _, err := OpenConnection(ctx, scopes.Connection{Name: "cache", Type: "redis"}); scopes.ErrorCode(err) != scopes.EInvalidSettings {
		t.Errorf("OpenConnection(redis): %v", err)
	}
}

// strict sets STRICT_ALL_TABLES on every connection; strict=false keeps the
// server's mode.
func TestMySQLStrictMode(t *testing.T) {
	ctx := context.Background()
	dsn := conntest.MySQLDSN(t)
	for _, strict := range []string{"", "false"} {
		s, err := OpenMySQL(ctx, scopes.Connection{Name: "m", Type: "mysql", Params: map[string]string{"dsn": dsn, "strict": strict}})
		if err != nil {
			t.Fatal(err)
		}
		var session, global string
		if err := s.writer.QueryRowxContext(ctx, `SELECT @@SESSION.sql_mode, @@GLOBAL.sql_mode`).Scan(&session, &global); err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		if strict == "" && !strings.Contains(session, "STRICT_ALL_TABLES") {
			t.Errorf("strict by default: sql_mode %q", session)
		}
		if strict == "false" && session != global {
			t.Errorf("strict=false: sql_mode %q, want the server's %q", session, global)
		}
	}
}

// The envelope's opening bytes are what Tables counts undecodable rows by.
func TestEnvelopePrefix(t *testing.T) {
	for _, rec := range []scopes.Record{{}, {CFToken: `"x"`, Version: 9, Data: []byte(`{"a":1}`)}} {
		if b := scopes.EncodeRecord(rec); !strings.HasPrefix(string(b), envelopePrefix) {
			t.Errorf("EncodeRecord writes %.20s…, which does not start with %s", b, envelopePrefix)
		}
	}
}

// Each database gets its own lock names on a shared MySQL server, of at
// most 64 characters.
func TestLockNames(t *testing.T) {
	a, b := newLockNames("sessions"), newLockNames("sessions2")
	if a.mysql(lockCleaner) == b.mysql(lockCleaner) || len(newLockNames(strings.Repeat("x", 64)).mysql(lockCleaner)) > 64 {
		t.Errorf("lock names %q and %q", a.mysql(lockCleaner), b.mysql(lockCleaner))
	}
	if a.postgres(lockCleaner) == a.postgres(lockMigrate) {
		t.Error("the cleaner and migration locks share a key")
	}
}
