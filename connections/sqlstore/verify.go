package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/connections/sqlerr"
	"github.com/scopestore/scopestore/scopes"
)

// The checks Verify reports, in order.
const (
	checkConnect = "connect"
	checkCreate  = "create table"
	checkWrite   = "write"
	checkRead    = "read"
	checkDelete  = "delete"
)

// probeValue is written and read back by Verify: characters outside Latin-1
// and the Basic Multilingual Plane show that the connection and a table
// like the scope tables keep any character (MySQL's utf8mb4).
const probeValue = `{"probe":"scopestore ✓ ü 😀"}`

// Verify checks, step by step, that the database has what storage needs: it
// connects, creates a probe table scopestore_verify_<random>, writes a row
// to it, reads the row back, deletes it and drops the table. Each check is
// reported; when one fails, those that depend on it are reported as skipped.
// It leaves the scope tables alone.
func (s *Store) Verify(ctx context.Context) []scopes.Health {
	out := make([]scopes.Health, 0, 5)
	skip := func(failed string, checks ...string) []scopes.Health {
		for _, c := range checks {
			out = append(out, scopes.Health{Name: c,
				Err: scopes.Errorf(scopes.EUnavailable, "skipped: the %s check failed", failed)})
		}
		return out
	}

	conn, err := s.writer.Connx(ctx)
	if err == nil {
		defer conn.Close()
		err = conn.PingContext(ctx)
	}
	if err != nil {
		out = append(out, scopes.Health{Name: checkConnect, Err: s.explain(err)})
		return skip(checkConnect, checkCreate, checkWrite, checkRead, checkDelete)
	}
	out = append(out, scopes.Health{Name: checkConnect})

	var b [6]byte
	_, _ = rand.Read(b[:])
	table := "scopestore_verify_" + hex.EncodeToString(b[:])
	create := "CREATE TABLE IF NOT EXISTS " + table + " (k VARCHAR(64) NOT NULL PRIMARY KEY, v TEXT NOT NULL)"
	if s.d.name == nameMySQL {
		create = "CREATE TABLE IF NOT EXISTS " + table +
			" (k VARCHAR(64) NOT NULL PRIMARY KEY, v LONGTEXT NOT NULL) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin"
	}
	if _, err := conn.ExecContext(ctx, create); err != nil {
		out = append(out, scopes.Health{Name: checkCreate, Err: fmt.Errorf("create a table (%s): %w", table, err)})
		return skip(checkCreate, checkWrite, checkRead, checkDelete)
	}
	out = append(out, scopes.Health{Name: checkCreate})
	out = append(out, s.probe(ctx, conn, table)...)
	// Dropping is part of the create check: the rights to create and to drop
	// a table go together when the scope tables are migrated.
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE "+table); err != nil {
		out[1].Err = fmt.Errorf("created the table %s but could not drop it; drop it by hand: %w", table, err)
	}
	return out
}

// probe writes, reads and deletes a row of the probe table.
func (s *Store) probe(ctx context.Context, conn *sqlx.Conn, table string) []scopes.Health {
	q := func(query string) string { return sqlx.Rebind(s.d.bind, query) }
	if _, err := conn.ExecContext(ctx, q("INSERT INTO "+table+" (k, v) VALUES (?, ?)"), "probe", probeValue); err != nil {
		skipped := scopes.Errorf(scopes.EUnavailable, "skipped: the %s check failed", checkWrite)
		return []scopes.Health{
			{Name: checkWrite, Err: fmt.Errorf("insert a row: %w", err)},
			{Name: checkRead, Err: skipped},
			{Name: checkDelete, Err: skipped},
		}
	}
	out := []scopes.Health{{Name: checkWrite}}

	got, err := s.readProbe(ctx, conn, q("SELECT v FROM "+table+" WHERE k = ?"))
	if err == nil && got != probeValue {
		err = fmt.Errorf("read back %q, wrote %q: check the character set of the database and the connection (utf8mb4 on MySQL)", got, probeValue)
	}
	out = append(out, scopes.Health{Name: checkRead, Err: wrapIf("read the row back", err)})

	res, err := conn.ExecContext(ctx, q("DELETE FROM "+table+" WHERE k = ?"), "probe")
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n != 1 {
			err = fmt.Errorf("deleted %d rows, want 1", n)
		}
	}
	return append(out, scopes.Health{Name: checkDelete, Err: wrapIf("delete the row", err)})
}

// readProbe reads the probe row back as loads read scopes: with a statement
// prepared on the server where the store prepares them (see
// preparedStmts), so that a server or proxy that cannot run one fails here,
// with what to do, rather than on every load. A server that prepares no
// more statements is no failure: the store then sends its statements as
// text, and so does this read.
func (s *Store) readProbe(ctx context.Context, conn *sqlx.Conn, query string) (string, error) {
	var got string
	if !s.stmts.isOff() {
		stmt, err := conn.PreparexContext(ctx, query)
		switch {
		case err == nil:
			defer func() { _ = stmt.Close() }()
			return got, stmt.QueryRowxContext(ctx, "probe").Scan(&got)
		case !sqlerr.PreparedLimit(err):
			return got, fmt.Errorf("prepare the read on the server, as loads are: %w "+
				"(if a proxy in front of the server does not take prepared statements, set the connection's prepare to false: "+
				"--prepare false, or untick Prepared statements in the console)", err)
		}
	}
	return got, conn.QueryRowxContext(ctx, query, "probe").Scan(&got)
}

// explain turns a failure to connect into a message that names the server.
func (s *Store) explain(err error) error {
	if s.addr == "" {
		return err
	}
	return explainConnect(s.d.product, s.addr, err)
}

func wrapIf(what string, err error) error {
	if err == nil {
		return nil
	}
	var se *scopes.Error
	if errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
