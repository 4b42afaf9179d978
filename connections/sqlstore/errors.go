package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/scopestore/scopestore/scopes"
)

// duplicateKey reports whether err is the violation of the primary key or a
// unique index: another transaction inserted the same (cfid, name) first.
func duplicateKey(err error) bool {
	var myErr *mysql.MySQLError
	var pgErr *pgconn.PgError
	var liteErr *sqlite.Error
	switch {
	case errors.As(err, &myErr):
		return myErr.Number == 1062 // ER_DUP_ENTRY
	case errors.As(err, &pgErr):
		return pgErr.Code == "23505" // unique_violation
	case errors.As(err, &liteErr):
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

// transient reports whether a transaction failed only because of the
// transactions beside it, so that running it again from the start may
// succeed: a deadlock, a lock wait timeout or a serialization failure.
func transient(err error) bool {
	var myErr *mysql.MySQLError
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &myErr):
		// ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT
		return myErr.Number == 1213 || myErr.Number == 1205
	case errors.As(err, &pgErr):
		// serialization_failure, deadlock_detected, lock_not_available
		return pgErr.Code == "40001" || pgErr.Code == "40P01" || pgErr.Code == "55P03"
	}
	return false
}

// explainConnect turns the failure to reach the database at addr into an
// *scopes.Error whose message says what went wrong in the words an operator
// looks for ("connection refused at 127.0.0.1:3306"), keeping the driver's
// error as the cause.
func explainConnect(what, addr string, err error) error {
	if err == nil {
		return nil
	}
	msg := ""
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var myErr *mysql.MySQLError
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		msg = fmt.Sprintf("connection refused at %s: is %s running and listening there?", addr, what)
	case errors.As(err, &dnsErr):
		msg = fmt.Sprintf("cannot resolve the host of %s: %s", addr, dnsErr.Err)
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err), errors.As(err, &opErr) && opErr.Timeout():
		msg = fmt.Sprintf("no answer from %s in time: is the address right and no firewall in the way?", addr)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		msg = fmt.Sprintf("no route to %s", addr)
	case errors.As(err, &myErr) && (myErr.Number == 1045 || myErr.Number == 1044):
		msg = fmt.Sprintf("%s at %s refused the user name or password: %s", what, addr, myErr.Message)
	case errors.As(err, &myErr) && myErr.Number == 1049:
		msg = fmt.Sprintf("%s at %s has no such database: %s", what, addr, myErr.Message)
	case errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000"):
		msg = fmt.Sprintf("%s at %s refused the user name or password: %s", what, addr, pgErr.Message)
	case errors.As(err, &pgErr) && pgErr.Code == "3D000":
		msg = fmt.Sprintf("%s at %s has no such database: %s", what, addr, pgErr.Message)
	default:
		msg = fmt.Sprintf("cannot connect to %s at %s: %v", what, addr, err)
	}
	return &scopes.Error{Code: scopes.EUnavailable, Message: msg, Err: err}
}
