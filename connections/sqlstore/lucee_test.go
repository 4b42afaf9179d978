package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/scopestore/scopestore/connections/sqlstore"
	"github.com/scopestore/scopestore/migrations"
	"github.com/scopestore/scopestore/scopes"
)

// Lucee 6.2's statements for a scope stored in a datasource (see
// cmd/scopebench/bare.go), in autocommit; %s stands for the table.
const (
	luceeSelect = `SELECT data FROM %s WHERE cfid = ? AND name = ? AND expires > ?`
	luceeUpdate = `UPDATE %s SET expires = ?, data = ? WHERE cfid = ? AND name = ?`
	luceeInsert = `INSERT INTO %s (expires, cfid, name, data) VALUES (?, ?, ?, ?)`
)

// lucee runs Lucee's statements on a table, as Lucee would.
type lucee struct {
	t      *testing.T
	db     *sql.DB
	driver string
	table  string
}

func (l lucee) q(format string) string { return rebind(l.driver, fmt.Sprintf(format, l.table)) }

// load returns the data of the unexpired row of key, found false when none.
func (l lucee) load(key scopes.Key, now time.Time) (string, bool) {
	l.t.Helper()
	var data string
	err := l.db.QueryRow(l.q(luceeSelect), key.CFID, key.App, fmt.Sprint(now.UnixMilli())).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false
	}
	if err != nil {
		l.t.Fatalf("Lucee's SELECT: %v", err)
	}
	return data, true
}

// save is Lucee's save: UPDATE, and INSERT when it found no row.
func (l lucee) save(key scopes.Key, expires time.Time, data string) {
	l.t.Helper()
	res, err := l.db.Exec(l.q(luceeUpdate), fmt.Sprint(expires.UnixMilli()), data, key.CFID, key.App)
	if err != nil {
		l.t.Fatalf("Lucee's UPDATE: %v", err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return
	}
	if _, err := l.db.Exec(l.q(luceeInsert), fmt.Sprint(expires.UnixMilli()), key.CFID, key.App, data); err != nil {
		l.t.Fatalf("Lucee's INSERT: %v", err)
	}
}

// oldEnvelope is a record's value as scopestore wrote it before records had
// a rev.
func oldEnvelope(rec scopes.Record) string {
	rec.Rev = ""
	return strings.Replace(string(scopes.EncodeRecord(rec)), `"rev":"",`, "", 1)
}

// Lucee's own statements keep working on the tables scopestore creates,
// and scopestore reads, updates and overwrites the rows they write.
func TestLuceeStatements(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now().Truncate(time.Millisecond)
			hour := now.Add(time.Hour)
			s, dsn := d.open(t)
			defer s.Close()
			if err := s.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			l := lucee{t, openDB(t, d.driver, dsn), d.driver, "cf_session_data"}

			// Lucee creates a scope (INSERT of its four columns), reads it
			// and saves it again.
			key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			l.save(key, hour, luceeData)
			l.save(key, hour.Add(time.Minute), luceeData+"=")
			if data, found := l.load(key, now); !found || data != luceeData+"=" {
				t.Fatalf("Lucee reads back %q, %v", data, found)
			}
			// scopestore reports the row as corrupt, and a write that
			// expects a record does too; an overwrite replaces it.
			if _, _, err := s.Load(ctx, key, now); scopes.ErrorCode(err) != scopes.ECorrupt {
				t.Errorf("Load of Lucee's row: %v; want the %s error", err, scopes.ECorrupt)
			}
			rec := scopes.Record{Key: key, Rev: scopes.NewRev(), Version: 1, Expires: hour, Data: []byte(`{"n":1}`)}
			if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); scopes.ErrorCode(err) != scopes.ECorrupt || res.Written {
				t.Errorf("create over Lucee's row = %+v, %v; want the %s error", res, err, scopes.ECorrupt)
			}
			rec = save(t, s, rec)
			if got, _, err := s.Load(ctx, key, now); err != nil || got.Rev != rec.Rev {
				t.Errorf("after the overwrite: %+v, %v", got, err)
			}
			// Lucee's statements read and write scopestore's rows too; a
			// row that Lucee saved over is no longer the one a
			// compare-and-set expects, though its rev column is unchanged.
			if data, found := l.load(key, now); !found || !strings.Contains(data, `"n":1`) {
				t.Errorf("Lucee reads scopestore's row as %q, %v", data, found)
			}
			l.save(key, hour, luceeData)
			next := rec
			next.Rev, next.Version, next.Data = scopes.NewRev(), 2, []byte(`{"n":2}`)
			if res, err := s.Write(ctx, next, rec.Rev, now); scopes.ErrorCode(err) != scopes.ECorrupt || res.Written {
				t.Errorf("compare-and-set over Lucee's save = %+v, %v; want the %s error", res, err, scopes.ECorrupt)
			}

			// A row in scopestore's format without a rev, as an earlier
			// scopestore wrote it, inserted with Lucee's INSERT: it loads
			// with the rev derived from its version, and a compare-and-set
			// on that rev replaces it once.
			key = scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			old := scopes.Record{Key: key, CFToken: "0", Version: 3, Expires: hour, Data: []byte(`{"n":3}`)}
			l.save(key, hour, oldEnvelope(old))
			cur, found, err := s.Load(ctx, key, now)
			if err != nil || !found || cur.Rev != scopes.LegacyRev(3) || string(cur.Data) != `{"n":3}` {
				t.Fatalf("Load of a row without a rev = %+v, %v, %v; want rev %s", cur, found, err, scopes.LegacyRev(3))
			}
			list, err := s.List(ctx, "shop", scopes.Session, "", 10, now)
			if err != nil || !containsRev(list, key, cur.Rev) {
				t.Errorf("List = %+v, %v; want %s with rev %s", list, err, key.CFID, cur.Rev)
			}
			next = cur
			next.Rev, next.Version, next.Data = scopes.NewRev(), 4, []byte(`{"n":4}`)
			if res, err := s.Write(ctx, next, cur.Rev, now); err != nil || !res.Written {
				t.Fatalf("compare-and-set on %s = %+v, %v", cur.Rev, res, err)
			}
			stale := cur
			stale.Rev, stale.Version, stale.Data = scopes.NewRev(), 4, []byte(`{"stale":true}`)
			res, err := s.Write(ctx, stale, cur.Rev, now)
			if err != nil || res.Written || !res.Found || res.Rec.Rev != next.Rev || string(res.Rec.Data) != `{"n":4}` {
				t.Errorf("a second compare-and-set on %s = %+v, %v; want the conflict with %s", cur.Rev, res, err, next.Rev)
			}

			// A row without a rev that another writer (an earlier
			// scopestore during an upgrade) saved between the read and
			// the write: its version moved on, and the write is a conflict.
			key = scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			old.Key = key
			l.save(key, hour, oldEnvelope(old))
			cur, _, err = s.Load(ctx, key, now)
			if err != nil {
				t.Fatal(err)
			}
			old.Version, old.Data = 4, []byte(`{"other":true}`)
			l.save(key, hour, oldEnvelope(old))
			next = cur
			next.Rev, next.Version = scopes.NewRev(), 4
			res, err = s.Write(ctx, next, cur.Rev, now)
			if err != nil || res.Written || !res.Found || res.Rec.Rev != scopes.LegacyRev(4) || string(res.Rec.Data) != `{"other":true}` {
				t.Errorf("compare-and-set on %s after another save = %+v, %v; want the conflict with %s", cur.Rev, res, err, scopes.LegacyRev(4))
			}
			// The same over a row of this scopestore: the earlier one saves
			// without touching the rev column, and the row is found out.
			key = scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			cur = save(t, s, scopes.Record{Key: key, Version: 1, Expires: hour, Data: []byte(`{"n":1}`)})
			l.save(key, hour, oldEnvelope(scopes.Record{Key: key, Version: 2, Expires: hour, Data: []byte(`{"other":true}`)}))
			next = cur
			next.Rev, next.Version = scopes.NewRev(), 2
			res, err = s.Write(ctx, next, cur.Rev, now)
			if err != nil || res.Written || !res.Found || res.Rec.Rev != scopes.LegacyRev(2) {
				t.Errorf("compare-and-set on %s after an earlier scopestore's save = %+v, %v; want the conflict with %s",
					cur.Rev, res, err, scopes.LegacyRev(2))
			}
			next.Rev = scopes.NewRev()
			if res, err := s.Write(ctx, next, res.Rec.Rev, now); err != nil || !res.Written {
				t.Errorf("compare-and-set on the rev the conflict returned = %+v, %v", res, err)
			}
		})
	}
}

func containsRev(list []scopes.Record, key scopes.Key, rev string) bool {
	for _, rec := range list {
		if rec.Key == key && rec.Rev == rev {
			return true
		}
	}
	return false
}

// previousTables creates the scope tables as the previous version of
// scopestore did, without the rev column.
func previousTables(t *testing.T, d server, dsn string) {
	t.Helper()
	var stmts []string
	switch d.name {
	case "mysql":
		for _, table := range []string{"cf_session_data", "cf_client_data"} {
			stmts = append(stmts, `CREATE TABLE `+table+` (
				expires VARCHAR(64) NOT NULL, cfid VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL, data LONGTEXT NOT NULL,
				PRIMARY KEY (cfid, name), INDEX `+table+`_expires (expires), INDEX `+table+`_name_cfid (name, cfid)
			) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`)
		}
	case "postgres":
		for _, table := range []string{"cf_session_data", "cf_client_data"} {
			stmts = append(stmts, `CREATE TABLE `+table+` (
				expires VARCHAR(64) COLLATE "C" NOT NULL, cfid VARCHAR(64) COLLATE "C" NOT NULL,
				name VARCHAR(255) COLLATE "C" NOT NULL, data TEXT NOT NULL, PRIMARY KEY (cfid, name))`,
				`CREATE INDEX `+table+`_expires ON `+table+` (expires)`,
				`CREATE INDEX `+table+`_name_cfid ON `+table+` (name, cfid)`)
		}
	case "sqlite":
		// The previous version had the numbered migration 1 only.
		first, err := fs.ReadFile(migrations.ScopesSQLite, "00001_cf_tables.sql")
		if err != nil {
			t.Fatal(err)
		}
		db := openDB(t, "sqlite", dsn)
		p, err := goose.NewProvider(goose.DialectSQLite3, db, fstest.MapFS{"00001_cf_tables.sql": {Data: first}},
			goose.WithTableName(migrations.ScopesVersionTable), goose.WithDisableGlobalRegistry(true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Up(context.Background()); err != nil {
			t.Fatal(err)
		}
		return
	}
	db := openDB(t, d.driver, dsn)
	for _, stmt := range stmts {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
}

// The tables of the previous version of scopestore get the rev column on
// first use, once; their rows load with the revs derived from their
// versions, and the engine's compare-and-set replaces them.
func TestPreviousVersionTables(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now().Truncate(time.Millisecond)
			// A database of its own; its store is not used.
			var dsn string
			if d.name == "sqlite" {
				dsn = t.TempDir() + "/scopes.db"
			} else {
				var unused *sqlstore.Store
				unused, dsn = d.open(t)
				_ = unused.Close()
			}
			previousTables(t, d, dsn)
			db := openDB(t, d.driver, dsn)
			keys := map[string]scopes.Key{}
			for _, table := range []string{"cf_session_data", "cf_client_data"} {
				kind := map[string]scopes.Kind{"cf_session_data": scopes.Session, "cf_client_data": scopes.Client}[table]
				key := scopes.Key{App: "shop", Kind: kind, CFID: scopes.NewCFID()}
				keys[table] = key
				insertRows(t, db, d.driver, table, []legacyRow{{key.CFID, "shop", now.Add(time.Hour),
					oldEnvelope(scopes.Record{Key: key, Version: 7, Expires: now.Add(time.Hour), Data: []byte(`{"n":7}`)})}})
			}

			// A newly started instance of this version.
			s := openAgain(t, d, dsn)
			defer s.Close()
			if d.name != "sqlite" {
				steps, err := s.Plan(ctx)
				if err != nil {
					t.Fatal(err)
				}
				// The previous version had no tables for the shared scopes.
				checkActions(t, "Plan", steps, append([]string{
					"cf_session_data: add the rev column, on which writes compare and set",
					"cf_session_data: add the prev_revs column, by which a write sent again is recognised",
					"cf_client_data: add the rev column, on which writes compare and set",
					"cf_client_data: add the prev_revs column, by which a write sent again is recognised",
				}, createShared(d.name)...))
				status, err := s.Tables(ctx)
				if err != nil || len(status) != 2+len(sharedTables) || status[0].RevColumns || len(status[0].Plan) != 2 {
					t.Errorf("Tables before the first use = %+v, %v; want no rev column and its step planned", status, err)
				}
			}
			for _, key := range keys {
				cur, found, err := s.Load(ctx, key, now) // the first use migrates
				if err != nil || !found || cur.Rev != scopes.LegacyRev(7) {
					t.Fatalf("Load = %+v, %v, %v; want rev %s", cur, found, err, scopes.LegacyRev(7))
				}
				next := cur
				next.Rev, next.Version = scopes.NewRev(), 8
				if res, err := s.Write(ctx, next, cur.Rev, now); err != nil || !res.Written {
					t.Errorf("compare-and-set on %s = %+v, %v", cur.Rev, res, err)
				}
			}
			if steps, err := s.Plan(ctx); err != nil || len(steps) != 0 {
				t.Errorf("Plan after the first use = %v, %v; want nothing", actions(steps), err)
			}
			if again, err := s.Migrate(ctx, false); err != nil || len(again) != 0 {
				t.Errorf("a second Migrate = %v, %v; want nothing to do", actions(again), err)
			}
			status, err := s.Tables(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range status {
				rows := int64(1)
				if slices.Contains(sharedTables, st.Table) {
					rows = 0
				}
				if !st.RevColumns || len(st.Plan) != 0 || st.Rows != rows {
					t.Errorf("%s after the first use: %+v; want %d rows", st.Table, st, rows)
				}
			}
			// Lucee's INSERT still works on the migrated table.
			l := lucee{t, db, d.driver, "cf_client_data"}
			l.save(scopes.Key{App: "shop", CFID: scopes.NewCFID()}, now.Add(time.Hour), luceeData)
		})
	}
}
