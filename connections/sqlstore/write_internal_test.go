package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// counters are what a countingConnector counted: each Exec, Query and
// Begin, and each call of a prepared statement, in sent; the statements
// prepared, in prepares. While refusePrepare is set, a prepare fails as on
// a server that holds max_prepared_stmt_count statements already; while
// noPrepare is set, it fails as through a proxy that takes no prepared
// statements; while failAfterExec is set, a prepared statement's Exec runs
// and then fails, as when the connection breaks before the answer arrives.
type counters struct {
	sent, prepares                          atomic.Int64
	refusePrepare, noPrepare, failAfterExec atomic.Bool
}

// errLostAnswer is the error of an Exec that ran while failAfterExec was set.
var errLostAnswer = errors.New("read tcp 127.0.0.1:3306: connection reset by peer (injected after the statement ran)")

// countingConnector counts the statements sent through the connections it
// makes (see counters).
type countingConnector struct {
	driver.Connector
	c *counters
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, c: c.c}, nil
}

// dsnConnector is a driver.Connector for a driver that has none.
type dsnConnector struct {
	d   driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }

type countingConn struct {
	driver.Conn
	c *counters
}

func (c *countingConn) count(err error) {
	if !errors.Is(err, driver.ErrSkip) {
		c.c.sent.Add(1)
	}
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	res, err := e.ExecContext(ctx, query, args)
	c.count(err)
	return res, err
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, err := q.QueryContext(ctx, query, args)
	c.count(err)
	return rows, err
}

// PrepareContext counts a prepare apart, in prepares, and returns a
// statement whose calls are counted as statements sent.
func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.c.prepares.Add(1)
	if c.c.noPrepare.Load() {
		// ER_UNSUPPORTED_PS
		return nil, &mysql.MySQLError{Number: 1295, Message: "This command is not supported in the prepared statement protocol yet"}
	}
	if c.c.refusePrepare.Load() {
		// ER_MAX_PREPARED_STMT_COUNT_REACHED, as MariaDB words it
		return nil, &mysql.MySQLError{Number: 1461,
			Message: "Can't create more than max_prepared_stmt_count statements (current value: 16382)"}
	}
	var stmt driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		stmt, err = p.PrepareContext(ctx, query)
	} else {
		stmt, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: stmt, c: c.c}, nil
}

// countingStmt counts the calls of a prepared statement.
type countingStmt struct {
	driver.Stmt
	c *counters
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.sent.Add(1)
	res, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	if err == nil && s.c.failAfterExec.Load() {
		return nil, errLostAnswer
	}
	return res, err
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.sent.Add(1)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.c.sent.Add(1)
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // deprecated, but the fallback database/sql itself uses
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// countedStore returns a store of dialect whose requests (Load, Write) go
// through one counted connection (see countingConnector); its tables are
// prepared already. params are pairs of connection params, for MySQL.
func countedStore(t *testing.T, dialect string, params ...string) (s *Store, c *counters) {
	t.Helper()
	ctx := context.Background()
	c = new(counters)
	var connector driver.Connector
	var driverName string
	switch dialect {
	case nameMySQL:
		conn := scopes.Connection{Name: "count", Type: nameMySQL, Params: map[string]string{"dsn": conntest.MySQLDSN(t)}}
		for i := 0; i+1 < len(params); i += 2 {
			conn.Params[params[i]] = params[i+1]
		}
		var err error
		if s, err = OpenMySQL(ctx, conn); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := mysqlConfig(conn)
		if err != nil {
			t.Fatal(err)
		}
		if connector, err = mysql.NewConnector(cfg); err != nil {
			t.Fatal(err)
		}
		driverName = "mysql"
	case namePostgres:
		u := conntest.PostgresURL(t)
		var err error
		if s, err = OpenPostgres(ctx, scopes.Connection{Name: "count", Type: namePostgres, Params: map[string]string{"url": u}}); err != nil {
			t.Fatal(err)
		}
		cfg, err := pgx.ParseConfig(u)
		if err != nil {
			t.Fatal(err)
		}
		connector, driverName = stdlib.GetConnector(*cfg), "pgx"
	case nameSQLite:
		path := filepath.Join(t.TempDir(), "scopes.db")
		var err error
		if s, err = OpenSQLite(path); err != nil {
			t.Fatal(err)
		}
		connector, driverName = dsnConnector{&sqlite.Driver{}, path + "?" + sqlitePragmas}, "sqlite"
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Ping(ctx); err != nil { // prepares the tables
		t.Fatal(err)
	}
	db := sqlx.NewDb(sql.OpenDB(countingConnector{connector, c}), driverName)
	db.SetMaxOpenConns(1)
	for _, old := range []*sqlx.DB{s.writer, s.reader} {
		if old != s.admin {
			_ = old.Close()
		}
	}
	s.writer, s.reader = db, db
	if s.admin == s.inspect {
		// PostgreSQL: one pool served all four; it is the counted one now.
		_ = s.admin.Close()
		s.admin, s.inspect = db, db
	}
	return s, c
}

// A write costs one statement when it succeeds, two when it meets a
// conflict, a row without a rev or itself sent again: never more than
// Lucee's two. On MySQL the server's own count of the statements it
// received (Questions) says the same.
func TestWriteStatements(t *testing.T) {
	for _, dialect := range []string{nameMySQL, namePostgres, nameSQLite} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s, c := countedStore(t, dialect)
			status := func(variable string) int64 { return sessionStatus(t, s, variable) }
			// The statements a call sent, by the counter and on MySQL by
			// the server; SHOW STATUS counts itself once.
			measure := func(call func()) (int64, int64) {
				var q0 int64
				if dialect == nameMySQL {
					q0 = status("Questions")
				}
				before := c.sent.Load()
				call()
				sent := c.sent.Load() - before
				if dialect != nameMySQL {
					return sent, sent
				}
				return sent, status("Questions") - q0 - 1
			}
			key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			cur := scopes.Record{Key: key, Version: 1, Expires: now.Add(time.Hour), Data: []byte(`{"n":1}`)}
			write := func(what string, rec scopes.Record, expect string, wantWritten bool) scopes.WriteResult {
				res, err := s.Write(ctx, rec, expect, now)
				if err != nil || res.Written != wantWritten {
					t.Fatalf("%s: Write = %+v, %v; want written %v", what, res, err, wantWritten)
				}
				return res
			}
			next := func(r scopes.Record) scopes.Record {
				r.Rev, r.Version = scopes.NewRev(), r.Version+1
				return r
			}
			if sent, server := measure(func() {}); sent != 0 || server != 0 {
				t.Fatalf("nothing sent %d statements, %d by the server", sent, server)
			}

			var applied scopes.Record
			expired := scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Client, CFID: scopes.NewCFID()},
				Version: 1, Expires: now.Add(-time.Minute), Data: []byte(`{}`)}
			legacy := scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()},
				Version: 5, Expires: now.Add(time.Hour), Data: []byte(`{"n":5}`)}
			steps := []struct {
				what string
				// setup runs before the count.
				setup func()
				call  func()
				want  int64
			}{
				{"create", nil, func() { cur.Rev = scopes.NewRev(); cur = write("create", cur, scopes.ExpectAbsent, true).Rec }, 1},
				{"load", nil, func() {
					if _, _, err := s.Load(ctx, key, now); err != nil {
						t.Fatal(err)
					}
				}, 1},
				{"compare-and-set", nil, func() { cur = write("compare-and-set", next(cur), cur.Rev, true).Rec }, 1},
				{"overwrite", nil, func() { cur = write("overwrite", next(cur), scopes.ExpectAny, true).Rec }, 1},
				{"stale compare-and-set", nil, func() { write("stale", next(cur), scopes.NewRev(), false) }, 2},
				{"create over a live row", nil, func() { write("create over live", next(cur), scopes.ExpectAbsent, false) }, 2},
				{"compare-and-set sent again", func() {
					applied = next(cur)
					write("first call", applied, cur.Rev, true)
				}, func() { write("sent again", applied, cur.Rev, true) }, 2},
				{"create over an expired row", func() {
					expired.Rev = scopes.NewRev()
					write("expired", expired, scopes.ExpectAny, true)
				}, func() {
					expired.Expires = now.Add(time.Hour)
					write("take over", next(expired), scopes.ExpectAbsent, true)
				}, 1},
				{"compare-and-set on a row without a rev", func() {
					legacy.Rev = ""
					value := strings.Replace(string(scopes.EncodeRecord(legacy)), `"rev":"",`, "", 1)
					if _, err := s.writer.ExecContext(ctx, sqlx.Rebind(s.d.bind, `INSERT INTO cf_session_data (expires, cfid, name, data) VALUES (?, ?, ?, ?)`),
						millis(legacy.Expires), legacy.CFID, legacy.App, value); err != nil {
						t.Fatal(err)
					}
				}, func() { write("legacy", next(legacy), scopes.LegacyRev(5), true) }, 2},
			}
			for _, step := range steps {
				if step.setup != nil {
					step.setup()
				}
				sent, server := measure(step.call)
				if sent != step.want || server != step.want {
					t.Errorf("%s: %d statements sent, %d received by the server; want %d", step.what, sent, server, step.want)
				}
			}

			// MySQL runs them prepared, each prepared once on the
			// connection: another load and compare-and-set prepare
			// nothing and run as prepared statements on the server.
			if dialect != nameMySQL {
				if p := c.prepares.Load(); p != 0 {
					t.Errorf("%d statements prepared on %s; want none", p, dialect)
				}
				return
			}
			before, executed := c.prepares.Load(), status("Com_stmt_execute")
			live, _, err := s.Load(ctx, key, now)
			if err != nil {
				t.Fatal(err)
			}
			write("compare-and-set again", next(live), live.Rev, true)
			if p := c.prepares.Load(); before == 0 || p != before {
				t.Errorf("%d statements prepared by the steps, %d by another load and compare-and-set; want some, then none", before, p-before)
			}
			if e := status("Com_stmt_execute") - executed; e != 2 {
				t.Errorf("the server ran %d prepared statements for a load and a compare-and-set; want 2", e)
			}
		})
	}
}

// The prefix that the compare-and-set checks is how EncodeRecord opens
// every envelope.
func TestRevPrefix(t *testing.T) {
	rev := scopes.NewRev()
	if b := scopes.EncodeRecord(scopes.Record{Rev: rev, Data: []byte(`{}`)}); !strings.HasPrefix(string(b), revPrefix(rev)) {
		t.Errorf("EncodeRecord writes %s, which does not open with %s", b, revPrefix(rev))
	}
	if !strings.HasPrefix(scopes.LegacyRev(12), legacyPrefix) || legacyPrefix == "" {
		t.Errorf("legacyPrefix %q does not open LegacyRev(12) = %q", legacyPrefix, scopes.LegacyRev(12))
	}
}
