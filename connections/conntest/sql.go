package conntest

import (
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// MySQLDSN returns a go-sql-driver DSN (without the mysql:// scheme) to a
// database created for this test and dropped when it ends. The server is
// SCOPESTORE_TEST_MYSQL, a go-sql-driver DSN whose database part is ignored
// (default root@tcp(127.0.0.1:3306)/).
func MySQLDSN(tb testing.TB) string {
	tb.Helper()
	base := strings.TrimPrefix(env(EnvMySQL, DefaultMySQL), "mysql://")
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		tb.Fatalf("conntest: %s=%q is not a go-sql-driver DSN such as %s: %v", EnvMySQL, base, DefaultMySQL, err)
	}
	reach(tb, "MariaDB", EnvMySQL, cfg.Net, cfg.Addr)

	name := randomName()
	cfg.DBName = ""
	admin := cfg.FormatDSN()
	if err := execAdmin("mysql", admin, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		tb.Fatalf("conntest: create MariaDB database %s at %s: %v", name, cfg.Addr, err)
	}
	tb.Cleanup(func() {
		if err := execAdmin("mysql", admin, "DROP DATABASE IF EXISTS "+name); err != nil {
			tb.Errorf("conntest: drop MariaDB database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// PostgresURL returns a postgres:// URL to a database created for this test
// and dropped when it ends. The server is SCOPESTORE_TEST_POSTGRES, a URL to
// any database the user may connect to and create databases from (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable).
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := env(EnvPostgres, DefaultPostgres)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("conntest: %s=%q is not a postgres:// URL such as %s", EnvPostgres, base, DefaultPostgres)
	}
	host := u.Hostname()
	if host == "" {
		host = "127.0.0.1"
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	addr := net.JoinHostPort(host, port)
	reach(tb, "PostgreSQL", EnvPostgres, "tcp", addr)

	name := randomName()
	if err := execAdmin("pgx", base, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("conntest: create PostgreSQL database %s at %s: %v", name, addr, err)
	}
	tb.Cleanup(func() {
		// A pool the test left open would block DROP DATABASE, and one that
		// reconnects between a pg_terminate_backend and the DROP too:
		// WITH (FORCE) ends its sessions in the same statement (PostgreSQL
		// 13+); older servers end them first. A busy machine may take a
		// while, so one failed attempt is tried again.
		var err error
		for attempt := 0; attempt < 2; attempt++ {
			err = execAdmin("pgx", base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			if err != nil && strings.Contains(err.Error(), "syntax") {
				err = execAdmin("pgx", base,
					"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+name+"' AND pid <> pg_backend_pid()",
					"DROP DATABASE IF EXISTS "+name)
			}
			if err == nil {
				return
			}
		}
		tb.Errorf("conntest: drop PostgreSQL database %s: %v", name, err)
	})
	t := *u
	t.Path = "/" + name
	return t.String()
}
