package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Load returns the record under key unless it is missing or expired at now,
// with the rev of its row (see rowRev). A row that is not in scopestore's
// format (one written by Lucee, say) is an *scopes.Error with code ECorrupt.
func (s *Store) Load(ctx context.Context, key scopes.Key, now time.Time) (scopes.Record, bool, error) {
	return s.LoadKnown(ctx, key, now, nil)
}

// LoadKnown is Load that neither checks nor copies stored data that is the
// bytes of known (scopes.KnownLoader).
func (s *Store) LoadKnown(ctx context.Context, key scopes.Key, now time.Time, known json.RawMessage) (scopes.Record, bool, error) {
	st, err := s.table(key.Kind)
	if err != nil {
		return scopes.Record{}, false, err
	}
	if err := s.readyFor(ctx, key.Kind); err != nil {
		return scopes.Record{}, false, err
	}
	var r row
	if err := s.getRow(ctx, s.reader, &r, st.get, key.CFID, key.App); errors.Is(err, sql.ErrNoRows) {
		return scopes.Record{}, false, nil
	} else if err != nil {
		return scopes.Record{}, false, fmt.Errorf("sqlstore: load %s: %w", st.table, err)
	}
	return decode(key, r, now, known)
}

// decode reads a row of key as of now: an expired row is no record. Data
// that is the bytes of known is not checked again (scopes.DecodeRecordKnown).
func decode(key scopes.Key, r row, now time.Time, known json.RawMessage) (scopes.Record, bool, error) {
	// The column decides, as it does for List and DeleteExpired; both are
	// 13-digit strings (see millis).
	if r.Expires <= millis(now) {
		return scopes.Record{}, false, nil
	}
	rec, err := scopes.DecodeRecordKnown(key, r.Data, known)
	if err != nil {
		return scopes.Record{}, false, err
	}
	rec.Rev = rowRev(r.Rev, rec)
	return rec, true, nil
}

// rowRev is the rev of a row as Load reports it and Write compares it: the
// rev column, which every Write sets, when the envelope in data carries the
// same rev. Otherwise the row was written without one, by scopestore before
// the column existed or by Lucee's INSERT (the column is empty), or changed
// since by a writer that does not know the column, which left it as it was
// (Lucee's UPDATE, or an earlier scopestore during an upgrade); its rev is
// then the one scopes.LegacyRev derives from the envelope's version, which
// Write compares in Go (writeLegacy). A rev column that Write sets never
// looks like one of those (checkRev), so that the two never meet.
func rowRev(col string, rec scopes.Record) string {
	if col != "" && rec.Rev == col {
		return col
	}
	return scopes.LegacyRev(rec.Version)
}
