package conntest_test

import (
	"context"
	"database/sql"
	"net"
	"net/url"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/scopestore/scopestore/connections/conntest"
)

func TestMySQLDSN(t *testing.T) {
	var dsn string
	t.Run("fresh database", func(t *testing.T) {
		dsn = conntest.MySQLDSN(t)
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var name string
		if err := db.QueryRowContext(context.Background(), "SELECT DATABASE()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if len(name) < len("scopestore_t_") || name[:len("scopestore_t_")] != "scopestore_t_" {
			t.Errorf("database %q, want scopestore_t_…", name)
		}
		if _, err := db.Exec("CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
	})
	if dsn == "" {
		return // skipped
	}
	// The cleanup dropped the database.
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err == nil {
		t.Errorf("database of %s still exists after the test", dsn)
	}
}

func TestPostgresURL(t *testing.T) {
	var dsn string
	t.Run("fresh database", func(t *testing.T) {
		dsn = conntest.PostgresURL(t)
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		// Left open on purpose: the cleanup must drop the database anyway.
		if _, err := db.Exec("CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
	})
	if dsn == "" {
		return
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err == nil {
		t.Errorf("database of %s still exists after the test", dsn)
	}
}

func TestRedis(t *testing.T) {
	var u *url.URL
	var prefix string
	t.Run("prefix", func(t *testing.T) {
		raw := conntest.RedisURL(t)
		var err error
		if u, err = url.Parse(raw); err != nil {
			t.Fatal(err)
		}
		prefix = conntest.RedisPrefix(t)
		if err := redisDo(u, "SET", prefix+"a", "1"); err != nil {
			t.Fatal(err)
		}
	})
	if prefix == "" {
		return
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("EXISTS " + prefix + "a\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); got != ":0\r\n" {
		t.Errorf("EXISTS %sa after the test = %q, want :0 (the cleanup deletes the prefix's keys)", prefix, got)
	}
}

// redisDo sends an inline command and checks for a +OK reply.
func redisDo(u *url.URL, args ...string) error {
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		return err
	}
	defer conn.Close()
	line := ""
	for _, a := range args {
		line += a + " "
	}
	if _, err := conn.Write([]byte(line + "\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != "+OK\r\n" {
		return &net.AddrError{Err: "unexpected reply " + string(buf[:n]), Addr: u.Host}
	}
	return nil
}

// TestUnreachableSkips checks that a server that does not answer skips the
// test, and that SCOPESTORE_TEST_REQUIRE_SERVICES=1 is not set by accident.
func TestUnreachableSkips(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()

	tests := []struct {
		name     string
		variable string
		value    string
		call     func(testing.TB)
	}{
		{"mysql", conntest.EnvMySQL, "root@tcp(" + closed + ")/", func(tb testing.TB) { conntest.MySQLDSN(tb) }},
		{"postgres", conntest.EnvPostgres, "postgres://postgres@" + closed + "/test", func(tb testing.TB) { conntest.PostgresURL(tb) }},
		{"redis", conntest.EnvRedis, "redis://" + closed + "/0", func(tb testing.TB) { conntest.RedisURL(tb) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var skipped bool
			t.Run("inner", func(t *testing.T) {
				t.Setenv(tc.variable, tc.value)
				t.Setenv(conntest.EnvRequireServices, "")
				defer func() { skipped = t.Skipped() }()
				tc.call(t)
			})
			if !skipped {
				t.Errorf("%s at a closed port did not skip", tc.name)
			}
		})
	}
}
