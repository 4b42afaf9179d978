package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/scopestore/scopestore/connections/sqlstore"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/scopes/storetest"
)

// MustOpenSQLite opens a store over a new SQLite file in a temporary
// directory and returns it with the file's path.
func MustOpenSQLite(tb testing.TB) (*sqlstore.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "data", "scopes.db")
	s, err := sqlstore.OpenSQLite(path)
	if err != nil {
		tb.Fatalf("OpenSQLite: %v", err)
	}
	return s, path
}

// rawDB opens the file with plain database/sql, as another program would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) scopes.Store {
		s, _ := MustOpenSQLite(t)
		return s
	})
}

func BenchmarkSQLite(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) scopes.Store {
		s, _ := MustOpenSQLite(b)
		return s
	})
}

func TestSQLiteSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, path := MustOpenSQLite(t)
	rec := scopes.Record{
		Key:     scopes.Key{App: "shop", Kind: scopes.Client, CFID: scopes.NewCFID()},
		CFToken: "0", TimeCreated: now, LastVisit: now, HitCount: 3,
		Expires: now.Add(90 * 24 * time.Hour), Version: 4, Data: []byte(`{"cart":[1,2]}`),
	}
	save(t, s, rec)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Opening again runs the migrations again: they must find nothing to do.
	s, err := sqlstore.OpenSQLite(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, found, err := s.Load(ctx, rec.Key, now)
	if err != nil || !found {
		t.Fatalf("Load after reopen = %v, %v", found, err)
	}
	if got.Version != 4 || got.HitCount != 3 || string(got.Data) != `{"cart":[1,2]}` || got.Expires.UnixMilli() != rec.Expires.UnixMilli() {
		t.Errorf("after reopen: %+v", got)
	}
}

func TestSQLiteForeignRow(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, path := MustOpenSQLite(t)
	defer s.Close()

	// A row as Lucee writes it: Base64 Java serialization.
	foreign := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	_, err := rawDB(t, path).ExecContext(ctx,
		`INSERT INTO cf_session_data (expires, cfid, name, data) VALUES (?, ?, ?, ?)`,
		now.Add(time.Hour).UnixMilli(), foreign.CFID, foreign.App, "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA==")
	if err != nil {
		t.Fatal(err)
	}
	good := scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()},
		Expires: now.Add(time.Hour), Version: 1, Data: []byte(`{"ok":true}`)}
	save(t, s, good)

	_, found, err := s.Load(ctx, foreign, now)
	if code := scopes.ErrorCode(err); code != scopes.ECorrupt || found {
		t.Errorf("Load of the foreign row = found %v, %v (code %q); want the %s error", found, err, code, scopes.ECorrupt)
	}
	if msg := scopes.ErrorMessage(err); !strings.Contains(msg, foreign.CFID) {
		t.Errorf("message %q does not name the scope", msg)
	}
	// A write that expects a record (a compare-and-set, or a create) meets
	// the foreign row and reports it; one that overwrites replaces it.
	for _, expect := range []string{scopes.ExpectAbsent, scopes.NewRev(), scopes.LegacyRev(1)} {
		rec := scopes.Record{Key: foreign, Rev: scopes.NewRev(), Expires: now.Add(time.Hour), Version: 2}
		if res, err := s.Write(ctx, rec, expect, now); scopes.ErrorCode(err) != scopes.ECorrupt || res.Written {
			t.Errorf("Write (expect %q) over the foreign row = %+v, %v; want the %s error", expect, res, err, scopes.ECorrupt)
		}
	}

	got, found, err := s.Load(ctx, good.Key, now)
	if err != nil || !found || string(got.Data) != `{"ok":true}` {
		t.Errorf("Load of another key = %s, %v, %v", got.Data, found, err)
	}
	list, err := s.List(ctx, "shop", scopes.Session, "", 10, now)
	if err != nil || len(list) != 1 || list[0].CFID != good.CFID {
		t.Errorf("List = %d records, %v; want the good one only", len(list), err)
	}
	// The foreign row still expires and is deleted like any other.
	if found, err := s.Delete(ctx, foreign); err != nil || !found {
		t.Errorf("Delete of the foreign row = %v, %v", found, err)
	}
}

// A page of List whose rows do not all decode is filled from the rows after them.
func TestSQLiteListFillsPagePastForeignRows(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, path := MustOpenSQLite(t)
	defer s.Close()
	db := rawDB(t, path)
	var good []string
	for i := range 12 {
		cfid := scopes.NewCFID()
		if i%2 == 0 {
			if _, err := db.ExecContext(ctx, `INSERT INTO cf_client_data (expires, cfid, name, data) VALUES (?, ?, 'shop', 'rO0AB')`,
				now.Add(time.Hour).UnixMilli(), cfid); err != nil {
				t.Fatal(err)
			}
			continue
		}
		rec := scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Client, CFID: cfid}, Expires: now.Add(time.Hour), Version: 1}
		save(t, s, rec)
		good = append(good, cfid)
	}
	slices.Sort(good)
	list, err := s.List(ctx, "shop", scopes.Client, "", 4, now)
	if err != nil || len(list) != 4 {
		t.Fatalf("List = %d records, %v; want 4", len(list), err)
	}
	for i, rec := range list {
		if rec.CFID != good[i] {
			t.Errorf("record %d is %s, want %s", i, rec.CFID, good[i])
		}
	}
}

func TestSQLiteSchema(t *testing.T) {
	ctx := context.Background()
	s, path := MustOpenSQLite(t)
	defer s.Close()
	db := rawDB(t, path)

	for _, table := range []string{"cf_session_data", "cf_client_data"} {
		t.Run(table, func(t *testing.T) {
			// Columns, and the primary key as pragma table_info numbers it.
			rows, err := db.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`, table)
			if err != nil {
				t.Fatal(err)
			}
			var cols []string
			for rows.Next() {
				var name, typ string
				var pk int
				if err := rows.Scan(&name, &typ, &pk); err != nil {
					t.Fatal(err)
				}
				cols = append(cols, name+" "+typ+" "+string(rune('0'+pk)))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			want := []string{"expires VARCHAR(64) 0", "cfid VARCHAR(64) 1", "name VARCHAR(255) 2", "data TEXT 0", "rev VARCHAR(32) 0", "prev_revs VARCHAR(255) 0"}
			if !slices.Equal(cols, want) {
				t.Errorf("columns (name type pk) %q, want %q", cols, want)
			}

			// The indexes, by the columns they cover.
			idx := map[string]bool{}
			rows, err = db.QueryContext(ctx, `
				SELECT l.origin, group_concat(i.name, ',')
				FROM pragma_index_list(?) l, pragma_index_info(l.name) i
				GROUP BY l.name ORDER BY l.name`, table)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var origin, cols string
				if err := rows.Scan(&origin, &cols); err != nil {
					t.Fatal(err)
				}
				idx[origin+":"+cols] = true
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"pk:cfid,name", "c:expires", "c:name,cfid"} {
				if !idx[want] {
					t.Errorf("no index %s among %v", want, idx)
				}
			}

			// The statements that must not scan the table.
			for _, q := range []string{
				`SELECT expires, data FROM ` + table + ` WHERE cfid = ? AND name = ?`,
				`SELECT cfid, data FROM ` + table + ` WHERE name = ? AND cfid > ? AND expires > ? ORDER BY cfid LIMIT ?`,
				`SELECT rowid FROM ` + table + ` WHERE expires <= ? LIMIT ?`,
			} {
				plan := queryPlan(t, db, q)
				if !strings.Contains(plan, " INDEX ") || strings.Contains(plan, "TEMP B-TREE") {
					t.Errorf("plan of %s:\n%s", q, plan)
				}
			}
		})
	}

	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM scopestore_scopes_version WHERE version_id IN (1, 2) AND is_applied`).Scan(&n); err != nil || n != 2 {
		t.Errorf("scopestore_scopes_version records migrations 1 and 2: %d rows, %v", n, err)
	}
}

func queryPlan(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(`EXPLAIN QUERY PLAN `+q, "a", "b", "c", 1)
	if err != nil {
		rows, err = db.Query(`EXPLAIN QUERY PLAN `+q, "a", 1)
	}
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}

func TestSQLiteExpiresColumn(t *testing.T) {
	ctx := context.Background()
	s, path := MustOpenSQLite(t)
	defer s.Close()
	for _, tc := range []struct {
		expires time.Time
		want    string
	}{
		{time.UnixMilli(1_700_000_000_123), "1700000000123"},
		{time.UnixMilli(999_999_999_999), "0999999999999"}, // September 2001
		{time.Time{}, "0000000000000"},
	} {
		rec := scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}, Expires: tc.expires}
		save(t, s, rec)
		var got string
		if err := rawDB(t, path).QueryRowContext(ctx, `SELECT expires FROM cf_session_data WHERE cfid = ?`, rec.CFID).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("expires %v stored as %q, want %q", tc.expires, got, tc.want)
		}
	}
}

// Two stores over one file, as two processes would have, lose none of each
// other's increments: each is a compare-and-set on the rev, and busy_timeout
// makes a writer wait for the other's lock.
func TestSQLiteTwoOpenersLoseNoIncrement(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	a, path := MustOpenSQLite(t)
	defer a.Close()
	b, err := sqlstore.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		s := []*sqlstore.Store{a, b}[i%2]
		wg.Go(func() {
			if err := increment(ctx, s, key, now); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("increment: %v", err)
	}
	got, _, err := a.Load(ctx, key, now)
	if err != nil || got.Version != 40 || string(got.Data) != `{"n":40}` {
		t.Errorf("version %d, data %s, %v after 40 increments through two stores", got.Version, got.Data, err)
	}
}
