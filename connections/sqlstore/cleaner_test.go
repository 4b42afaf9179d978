package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/sqlstore"
	"github.com/scopestore/scopestore/scopes"
)

// insertExpired inserts n rows into table that expired an hour before now,
// in multi-row statements.
func insertExpired(t *testing.T, db *sql.DB, driver, table string, n int, now time.Time) {
	t.Helper()
	const batch = 500
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		var args []any
		for i := range k {
			// Spread over a minute, so that the oldest-first order matters.
			exp := now.Add(-time.Hour - time.Duration(i)*time.Millisecond*100)
			args = append(args, fmt.Sprint(exp.UnixMilli()), scopes.NewCFID(), "shop", luceeData)
		}
		q := `INSERT INTO ` + table + ` (expires, cfid, name, data) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", k), ", ")
		if _, err := db.Exec(rebind(driver, q), args...); err != nil {
			t.Fatalf("insert expired rows: %v", err)
		}
	}
}

// The cleaner deletes in bounded batches, on one instance at a time.
func TestServersCleaner(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s, dsn := srv.open(t)
			defer s.Close()
			if err := s.Ping(ctx); err != nil { // creates the tables
				t.Fatal(err)
			}
			db := openDB(t, srv.driver, dsn)
			insertExpired(t, db, srv.driver, "cf_session_data", 1500, now)
			insertExpired(t, db, srv.driver, "cf_client_data", 1000, now)
			var live []scopes.Key
			for i := range 10 {
				rec := scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Kinds[i%2], CFID: scopes.NewCFID()},
					Expires: now.Add(time.Minute), Version: 1, Data: []byte(`{}`)}
				save(t, s, rec)
				live = append(live, rec.Key)
			}

			// Another instance holds the lock: this one leaves the rows to it.
			other := mustOpenSame(t, srv, dsn)
			defer other.Close()
			unlock, ok, err := other.LockCleaner(ctx)
			if err != nil || !ok {
				t.Fatalf("LockCleaner = %v, %v", ok, err)
			}
			if keys, err := s.DeleteExpired(ctx, now, 1000); err != nil || len(keys) != 0 {
				t.Errorf("DeleteExpired while another instance holds the lock = %d, %v; want 0, nil", len(keys), err)
			}
			if _, ok, err := s.LockCleaner(ctx); ok || err != nil {
				t.Errorf("a second LockCleaner = %v, %v; want false, nil", ok, err)
			}
			unlock()

			for _, want := range []int{1000, 1000, 500, 0} {
				keys, err := s.DeleteExpired(ctx, now, 1000)
				if err != nil || len(keys) != want {
					t.Fatalf("DeleteExpired = %d, %v; want %d", len(keys), err, want)
				}
			}
			for _, key := range live {
				if _, found, err := s.Load(ctx, key, now); err != nil || !found {
					t.Errorf("live %v: found %v, %v", key, found, err)
				}
			}
			// Each call released the lock: the other instance takes it now.
			unlock, ok, err = other.LockCleaner(ctx)
			if err != nil || !ok {
				t.Errorf("LockCleaner after the deletes = %v, %v; the lock was not released", ok, err)
			}
			unlock()
		})
	}
}

// mustOpenSame opens a second store over the database of dsn, as another
// instance of scopestore would.
func mustOpenSame(t *testing.T, srv server, dsn string) *sqlstore.Store {
	t.Helper()
	c := scopes.Connection{Name: "sessions", Type: srv.name, Params: map[string]string{"dsn": dsn}}
	if srv.name == "postgres" {
		c.Params = map[string]string{"url": dsn}
	}
	return mustOpen(t, c)
}
