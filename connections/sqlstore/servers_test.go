package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/connections/sqlstore"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/scopes/storetest"
)

// server is a database server the store runs on, for tests that run the
// same way on each.
type server struct {
	name string
	// open returns a store over a new database and that database's DSN,
	// for the driver named by driver, as another program would open it.
	open   func(tb testing.TB) (*sqlstore.Store, string)
	driver string
}

var servers = []server{
	{"mysql", MustOpenMySQL, "mysql"},
	{"postgres", MustOpenPostgres, "pgx"},
}

// MustOpenMySQL opens a store over a new database on the test MariaDB
// server (see conntest.MySQLDSN) and returns it with the database's DSN.
func MustOpenMySQL(tb testing.TB) (*sqlstore.Store, string) {
	tb.Helper()
	dsn := conntest.MySQLDSN(tb)
	return mustOpen(tb, scopes.Connection{Name: "sessions", Kind: "datasource", Type: "mysql", Storage: true,
		Params: map[string]string{"dsn": dsn}}), dsn
}

// MustOpenPostgres opens a store over a new database on the test
// PostgreSQL server (see conntest.PostgresURL) and returns it with its URL.
func MustOpenPostgres(tb testing.TB) (*sqlstore.Store, string) {
	tb.Helper()
	u := conntest.PostgresURL(tb)
	return mustOpen(tb, scopes.Connection{Name: "sessions", Kind: "datasource", Type: "postgres", Storage: true,
		Params: map[string]string{"url": u}}), u
}

func mustOpen(tb testing.TB, c scopes.Connection) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.OpenConnection(context.Background(), c)
	if err != nil {
		tb.Fatalf("OpenConnection(%s): %v", c.Type, err)
	}
	return s
}

// openDB opens dsn with plain database/sql, as another program would, and
// closes it when the test ends.
func openDB(tb testing.TB, driver, dsn string) *sql.DB {
	tb.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// rebind writes a statement's ? placeholders as the driver wants them.
func rebind(driver, q string) string {
	return sqlx.Rebind(sqlx.BindType(driver), q)
}

func TestServers(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			t.Run("Conformance", func(t *testing.T) {
				storetest.Run(t, func(t *testing.T) scopes.Store {
					s, _ := srv.open(t)
					return s
				})
			})
		})
	}
}

// The tables a store creates have scopestore's layout, and Plan finds
// nothing to do on them.
func TestServersSchema(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			ctx := context.Background()
			s, dsn := srv.open(t)
			defer s.Close()
			if err := s.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if steps, err := s.Plan(ctx); err != nil || len(steps) != 0 {
				t.Errorf("Plan after the first use = %v, %v; want nothing", actions(steps), err)
			}
			status, err := s.Tables(ctx)
			if err != nil {
				t.Fatal(err)
			}
			dataType := map[string]string{"mysql": "longtext", "postgres": "text"}[srv.name]
			for _, st := range status {
				if !st.Exists || !slices.Equal(st.PrimaryKey, []string{"cfid", "name"}) || !st.Keyed || !st.RevColumns || st.DataType != dataType ||
					!st.ExpiresIndex || !st.NameIndex || st.Rows != 0 || len(st.Plan) != 0 {
					t.Errorf("%s: %+v", st.Table, st)
				}
			}

			db := openDB(t, srv.driver, dsn)
			q := `SELECT column_name, collation_name FROM information_schema.columns
				WHERE table_name = 'cf_session_data' AND column_name IN ('cfid', 'name', 'expires') ORDER BY column_name`
			if srv.name == "mysql" {
				q = `SELECT COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS
				WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'cf_session_data' AND COLUMN_NAME IN ('cfid', 'name', 'expires') ORDER BY COLUMN_NAME`
			}
			rows, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			want := map[string]string{"mysql": "utf8mb4_bin", "postgres": "C"}[srv.name]
			for rows.Next() {
				var col, collation string
				if err := rows.Scan(&col, &collation); err != nil {
					t.Fatal(err)
				}
				if collation != want {
					t.Errorf("%s is collated %s, want %s", col, collation, want)
				}
			}

			if srv.name == "mysql" {
				// The statements that must not scan the table, over rows
				// that exist (EXPLAIN of a key that does not shows no index).
				var cfid string
				for i := range 20 {
					rec := scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()},
						Expires: time.Now().Add(time.Duration(i) * time.Minute), Version: 1}
					save(t, s, rec)
					cfid = rec.CFID
				}
				for _, q := range []string{
					`SELECT expires, data FROM cf_session_data WHERE cfid = '` + cfid + `' AND name = 'shop'`,
					`SELECT cfid, data FROM cf_session_data WHERE name = 'a' AND cfid > 'b' AND expires > 'c' ORDER BY cfid LIMIT 10`,
					// Count, of an app that holds every row: through an index
					// still, the expires index here, which holds cfid and name.
					`SELECT COUNT(*) FROM cf_session_data WHERE name = 'shop' AND expires > '` + fmt.Sprint(time.Now().UnixMilli()) + `'`,
					// A few rows expired: with all of them, a scan is right.
					`DELETE FROM cf_session_data WHERE expires <= '` + fmt.Sprint(time.Now().Add(2*time.Minute).UnixMilli()) + `' ORDER BY expires LIMIT 10`,
				} {
					r, err := db.Query(`EXPLAIN ` + q)
					if err != nil {
						t.Fatal(err)
					}
					cols, _ := r.Columns()
					vals := make([]sql.NullString, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					for r.Next() {
						if err := r.Scan(ptrs...); err != nil {
							t.Fatal(err)
						}
						for i, c := range cols {
							if c == "key" && !vals[i].Valid {
								t.Errorf("EXPLAIN %s uses no index", q)
							}
						}
					}
					_ = r.Close()
				}
			}
		})
	}
}

// App names are case-sensitive: "Shop" and "shop" are two apps, whose
// scopes never mix, even under the same cfid.
func TestServersAppNamesAreCaseSensitive(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s, _ := srv.open(t)
			defer s.Close()
			cfid := scopes.NewCFID()
			for _, app := range []string{"shop", "Shop"} {
				rec := scopes.Record{Key: scopes.Key{App: app, Kind: scopes.Session, CFID: cfid},
					Expires: now.Add(time.Hour), Version: 1, Data: []byte(`{"app":"` + app + `"}`)}
				save(t, s, rec)
			}
			for _, app := range []string{"shop", "Shop"} {
				got, found, err := s.Load(ctx, scopes.Key{App: app, Kind: scopes.Session, CFID: cfid}, now)
				if err != nil || !found || string(got.Data) != `{"app":"`+app+`"}` {
					t.Errorf("app %s loads %s, %v, %v", app, got.Data, found, err)
				}
				list, err := s.List(ctx, app, scopes.Session, "", 10, now)
				if err != nil || len(list) != 1 || list[0].App != app {
					t.Errorf("List(%s) = %d records, %v; want its own one", app, len(list), err)
				}
			}
		})
	}
}
