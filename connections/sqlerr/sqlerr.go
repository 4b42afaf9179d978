// Package sqlerr classifies the errors of the SQL drivers scopestore uses
// (MySQL/MariaDB, PostgreSQL, SQLite), for the config store and the
// datasource storages alike.
package sqlerr

import (
	"errors"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Duplicate reports whether err is the violation of a primary key or a
// unique index: another statement stored the same key first.
func Duplicate(err error) bool {
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

// Transient reports whether a transaction failed only because of the
// transactions beside it, so that running it again from the start may
// succeed: a deadlock, a lock wait timeout, a serialization failure, or
// SQLite busy past its busy_timeout.
func Transient(err error) bool {
	var myErr *mysql.MySQLError
	var pgErr *pgconn.PgError
	var liteErr *sqlite.Error
	switch {
	case errors.As(err, &liteErr):
		// SQLITE_BUSY (and its extended codes): another connection held
		// the database past busy_timeout; the transaction applied nothing.
		return liteErr.Code()&0xff == sqlite3.SQLITE_BUSY
	case errors.As(err, &myErr):
		// ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT
		return myErr.Number == 1213 || myErr.Number == 1205
	case errors.As(err, &pgErr):
		// serialization_failure, deadlock_detected, lock_not_available
		return pgErr.Code == "40001" || pgErr.Code == "40P01" || pgErr.Code == "55P03"
	}
	return false
}

// Answered reports whether err is an error that the database server
// answered for a statement (a missing table, a lock wait timeout, a value
// out of range): the statement ran and failed, and in autocommit it
// applied nothing. Any other error (a broken connection, a timeout) leaves
// open whether it ran.
func Answered(err error) bool {
	var myErr *mysql.MySQLError
	var pgErr *pgconn.PgError
	var liteErr *sqlite.Error
	return errors.As(err, &myErr) || errors.As(err, &pgErr) || errors.As(err, &liteErr)
}

// PreparedLimit reports whether err is MySQL's or MariaDB's refusal to
// prepare a statement because the server holds max_prepared_stmt_count
// prepared statements already (16,382 by default, shared by every client).
// Nothing but the prepare was sent.
func PreparedLimit(err error) bool {
	var myErr *mysql.MySQLError
	return errors.As(err, &myErr) && myErr.Number == 1461 // ER_MAX_PREPARED_STMT_COUNT_REACHED
}
