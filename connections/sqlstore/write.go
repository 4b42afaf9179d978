package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scopestore/scopestore/connections/sqlerr"
	"github.com/scopestore/scopestore/scopes"
)

// maxRevLen is the width of the rev column.
const maxRevLen = 32

// legacyPrefix opens the revs that scopes.LegacyRev derives from a version.
var legacyPrefix = strings.TrimSuffix(scopes.LegacyRev(0), "0")

// Write writes rec under its key if the live row there matches expect (see
// scopes.Store.Write), in one statement in autocommit when it does:
//
//   - ExpectAny: an upsert;
//   - ExpectAbsent: an insert that takes over the row of the key when that
//     one expired (dialect.create);
//   - a rev: UPDATE … WHERE rev = ? AND expires > now, a compare-and-set
//     on the rev column, which also checks that the envelope in data
//     opens with that rev: a writer that does not know the column (Lucee,
//     or an earlier scopestore still running during an upgrade) changes
//     data and leaves the column as it was, and such a row no longer has
//     the rev (see rowRev);
//   - a rev that scopes.LegacyRev derived from the version of a row
//     without a rev of its own (see rowRev): writeLegacy, two statements.
//
// When the statement changes no row, a read of the row tells why (see
// resolve), so that a conflict costs two statements and returns the live
// record.
//
// Every write leaves rec.Rev in the rev column and moves the rev it
// replaces to the front of prev_revs, which keeps the revs of the last 15
// writes or so before it. A write sent again (the engine does so when it
// does not know whether the first call was applied) finds its rev there,
// is reported written and is not applied again: the compare-and-set fails
// on the rev, and the upsert and the create test the same in SQL (see
// seen). A write is so remembered while its row exists and fewer than
// that many writes came on top of it; the engine sends one again within
// seconds of the first call (scopes.DefaultResolveTime).
func (s *Store) Write(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	st, err := s.table(rec.Kind)
	if err != nil {
		return scopes.WriteResult{}, err
	}
	if err := checkRev(rec.Rev); err != nil {
		return scopes.WriteResult{}, err
	}
	if err := s.readyFor(ctx, rec.Kind); err != nil {
		return scopes.WriteResult{}, err
	}
	rec, expires, data := encode(rec)
	nowMillis := millis(now)
	var res sql.Result
	switch {
	case expect == scopes.ExpectAny:
		// It changes no row only where the write was applied already.
		if _, err := s.exec(ctx, s.writer, st.upsert, rec.CFID, rec.App, expires, data, rec.Rev); err != nil {
			return scopes.WriteResult{}, writeError(st, err)
		}
		return written(rec), nil
	case expect == scopes.ExpectAbsent:
		args := []any{rec.CFID, rec.App, expires, data, rec.Rev}
		for range s.d.createNows {
			args = append(args, nowMillis)
		}
		res, err = s.exec(ctx, s.writer, st.create, args...)
	case strings.HasPrefix(expect, legacyPrefix):
		return s.writeLegacy(ctx, st, rec, expires, data, expect, now)
	default:
		prefix := revPrefix(expect)
		res, err = s.exec(ctx, s.writer, st.cas, expires, data, rec.Rev, rec.CFID, rec.App, expect,
			utf8.RuneCountInString(prefix), prefix, nowMillis)
	}
	if ok, err := changed(res, err); err != nil {
		return scopes.WriteResult{}, writeError(st, err)
	} else if ok {
		return written(rec), nil
	}
	return s.resolve(ctx, st, rec, now)
}

// writeLegacy is Write with expect a rev that scopes.LegacyRev derived from
// a version: that of a row without a rev of its own, written by scopestore
// before the column existed, or written since by a program that leaves the
// column as it is (see rowRev). Such a row has no rev to compare in SQL, so
// it is read, its rev compared with expect in Go (the version is the one
// expected), and it is replaced with UPDATE … WHERE rev = ? AND data = ? on
// the values read, which fails when anything wrote the row in between.
// This costs two statements, once per scope: the write leaves a rev.
func (s *Store) writeLegacy(ctx context.Context, st *statements, rec scopes.Record, expires, data, expect string, now time.Time) (scopes.WriteResult, error) {
	r, ok, err := s.get(ctx, st, rec.Key)
	if err != nil {
		return scopes.WriteResult{}, writeError(st, err)
	}
	if ok && r.holds(rec.Rev) {
		return written(rec), nil // sent again: the first call wrote it
	}
	if !ok {
		return scopes.WriteResult{}, nil
	}
	cur, found, err := decode(rec.Key, r, now, nil)
	if err != nil {
		return scopes.WriteResult{}, err
	}
	if !found || cur.Rev != expect {
		return scopes.WriteResult{Rec: cur, Found: found}, nil
	}
	res, err := s.writer.ExecContext(ctx, st.casData, expires, data, rec.Rev, rec.CFID, rec.App, r.Rev, string(r.Data), millis(now))
	if ok, err := changed(res, err); err != nil {
		return scopes.WriteResult{}, writeError(st, err)
	} else if ok {
		return written(rec), nil
	}
	return s.resolve(ctx, st, rec, now)
}

// resolve tells why a write's statement changed no row, by reading the row:
// it holds rec.Rev, as its rev or among its prev_revs, when an earlier call
// with the same write applied it; otherwise the expectation was not met,
// and the live record is returned as the conflict's.
func (s *Store) resolve(ctx context.Context, st *statements, rec scopes.Record, now time.Time) (scopes.WriteResult, error) {
	r, ok, err := s.get(ctx, st, rec.Key)
	if err != nil {
		return scopes.WriteResult{}, writeError(st, err)
	}
	if !ok {
		return scopes.WriteResult{}, nil
	}
	if r.holds(rec.Rev) {
		return written(rec), nil
	}
	cur, found, err := decode(rec.Key, r, now, nil)
	if err != nil {
		return scopes.WriteResult{}, err
	}
	return scopes.WriteResult{Rec: cur, Found: found}, nil
}

// get reads the row of key through the writer, which orders the read after
// the write before it on SQLite; ok is false when there is none.
func (s *Store) get(ctx context.Context, st *statements, key scopes.Key) (row, bool, error) {
	var r row
	err := s.getRow(ctx, s.writer, &r, st.get, key.CFID, key.App)
	if errors.Is(err, sql.ErrNoRows) {
		return row{}, false, nil
	}
	return r, err == nil, err
}

// changed reports whether a write's statement changed a row. MySQL counts
// 1 for an insert and 2 for an update by ON DUPLICATE KEY UPDATE.
func changed(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// written is the result of a write that is stored.
func written(rec scopes.Record) scopes.WriteResult {
	return scopes.WriteResult{Written: true, Rec: rec, Found: true}
}

// writeError wraps a driver's error. It is not an *scopes.Error: the
// statement may or may not have been applied (a broken connection, a
// timeout), and the engine sends the same write again to learn which,
// which every statement of Write allows (see resolve). An error that the
// server answered, or a pool that is closed, applied nothing: those are
// marked scopes.ErrNotApplied, so that the engine answers at once.
func writeError(st *statements, err error) error {
	return changeError("write", st, err)
}

// changeError wraps the error of a statement that changes a row, marked
// scopes.ErrNotApplied when it applied nothing (see writeError).
func changeError(op string, st *statements, err error) error {
	// database/sql sends a statement again only on driver.ErrBadConn, which
	// a driver returns only before it sent anything: a refused connection
	// that it returns was the only attempt.
	var dial *net.OpError
	if sqlerr.Answered(err) || errors.Is(err, sql.ErrConnDone) || err.Error() == errDBClosed || errors.As(err, &dial) && dial.Op == "dial" {
		return fmt.Errorf("sqlstore: %s %s: %w: %w", op, st.table, scopes.ErrNotApplied, err)
	}
	return fmt.Errorf("sqlstore: %s %s: %w", op, st.table, err)
}

// errDBClosed is the text of database/sql's error for a closed pool, which
// it does not export.
const errDBClosed = "sql: database is closed"

// revPrefix is how scopes.EncodeRecord opens the envelope of a record
// with rev: the envelope's rev comes first, so that the compare-and-set
// checks it with a comparison of the first characters of data.
func revPrefix(rev string) string {
	return envelopePrefix + `"rev":` + strconv.Quote(rev) + ","
}

// checkRev rejects a rev that the rev column cannot hold, that prev_revs
// could not tell apart, or that could be mistaken for one derived from a
// version.
func checkRev(rev string) error {
	switch {
	case rev == "":
		return scopes.Errorf(scopes.EInvalid, "a record is written with a rev (scopes.NewRev), which it has not")
	case strings.IndexFunc(rev, unicode.IsSpace) >= 0 || !utf8.ValidString(rev):
		return scopes.Errorf(scopes.EInvalid, "rev %q has a space or is not UTF-8, unlike those of scopes.NewRev", rev)
	case len(rev) > maxRevLen:
		return scopes.Errorf(scopes.EInvalid, "rev %q is longer than the %d characters a rev column holds", rev, maxRevLen)
	case strings.HasPrefix(rev, legacyPrefix):
		return scopes.Errorf(scopes.EInvalid, "rev %q is reserved for records stored without one", rev)
	}
	return nil
}
