package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scopestore/scopestore/scopes"
)

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
