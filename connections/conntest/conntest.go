// Package conntest gives tests a fresh database on the real MariaDB/MySQL and
// PostgreSQL servers, and a reachable Redis, named by SCOPESTORE_TEST_*
// variables. A server that cannot be reached skips the test with a message
// that says how to run it, unless SCOPESTORE_TEST_REQUIRE_SERVICES=1 (as in
// CI), which makes it a failure.
package conntest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"
)

// The variables that name the test servers, and their defaults.
const (
	EnvMySQL           = "SCOPESTORE_TEST_MYSQL"
	EnvPostgres        = "SCOPESTORE_TEST_POSTGRES"
	EnvRedis           = "SCOPESTORE_TEST_REDIS"
	EnvRequireServices = "SCOPESTORE_TEST_REQUIRE_SERVICES"

	DefaultMySQL    = "root@tcp(127.0.0.1:3306)/"
	DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	DefaultRedis    = "redis://127.0.0.1:6379/0"
)

// dialTimeout bounds the reachability check, so that a missing server costs
// a test run two seconds, not a TCP timeout.
const dialTimeout = 2 * time.Second

// setupTimeout bounds creating and dropping a test database.
const setupTimeout = 30 * time.Second

// env returns the variable's value, or def when it is unset or empty.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// reach dials network/addr and, when that fails, skips the test, or fails it
// when services are required. what names the server for the message.
func reach(tb testing.TB, what, variable, network, addr string) {
	tb.Helper()
	conn, err := net.DialTimeout(network, addr, dialTimeout)
	if err == nil {
		_ = conn.Close()
		return
	}
	unreachable(tb, what, variable, addr, err)
}

// unreachable ends the test for a server that does not answer.
func unreachable(tb testing.TB, what, variable, addr string, err error) {
	tb.Helper()
	if os.Getenv(EnvRequireServices) == "1" {
		tb.Fatalf("%s not reachable at %s (%s=1 requires it; set %s, or run bash .ci/run, which starts it): %v",
			what, addr, EnvRequireServices, variable, err)
	}
	tb.Skipf("%s not reachable at %s (set %s, or run bash .ci/run, which starts it): skipping: %v",
		what, addr, variable, err)
}

// randomName returns a database name or key prefix that no other test run
// uses: "scopestore_t_" and 12 random hex digits.
func randomName() string {
	var b [6]byte
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+).
	_, _ = rand.Read(b[:])
	return "scopestore_t_" + hex.EncodeToString(b[:])
}

// execAdmin runs statements on a short-lived connection to the base server.
func execAdmin(driver, dsn string, stmts ...string) error {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	for _, stmt := range stmts {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}
