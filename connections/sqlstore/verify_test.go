package sqlstore_test

import (
	"context"
	"testing"

	"github.com/scopestore/scopestore/connections/sqlstore"
)

func TestVerify(t *testing.T) {
	type opened struct {
		s      *sqlstore.Store
		db     func(t *testing.T) int // counts probe tables left behind
		driver string
	}
	open := map[string]func(t *testing.T) opened{}
	for _, srv := range servers {
		open[srv.name] = func(t *testing.T) opened {
			s, dsn := srv.open(t)
			db := openDB(t, srv.driver, dsn)
			q := `SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE 'scopestore_verify_%'`
			if srv.name == "mysql" {
				q += ` AND table_schema = DATABASE()`
			}
			return opened{s: s, driver: srv.driver, db: func(t *testing.T) int {
				var n int
				if err := db.QueryRow(q).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}}
		}
	}
	open["sqlite"] = func(t *testing.T) opened {
		s, path := MustOpenSQLite(t)
		return opened{s: s, driver: "sqlite", db: func(t *testing.T) int {
			var n int
			if err := rawDB(t, path).QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'scopestore_verify_%'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}}
	}
	for _, name := range []string{"mysql", "postgres", "sqlite"} {
		t.Run(name, func(t *testing.T) {
			o := open[name](t)
			defer o.s.Close()
			health := o.s.Verify(context.Background())
			var names []string
			for _, h := range health {
				names = append(names, h.Name)
				if h.Err != nil {
					t.Errorf("%s check: %v", h.Name, h.Err)
				}
			}
			if len(names) != 5 || names[0] != "connect" || names[1] != "create table" || names[2] != "write" || names[3] != "read" || names[4] != "delete" {
				t.Errorf("checks %v", names)
			}
			if n := o.db(t); n != 0 {
				t.Errorf("%d probe tables left behind", n)
			}
		})
	}
}
