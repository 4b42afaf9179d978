package configstore

import (
	"context"
	"database/sql"

	"github.com/scopestore/scopestore/scopes"
)

// maxCheckMessage is the length of the *_message columns, in characters.
const maxCheckMessage = 1000

// recordCheckQueries keep the last check of each kind. The columns come from
// this table, never from the caller. A check is kept only when it started
// after the connection's last edit (a check of the old definition says
// nothing of the new one) and after the check kept already (two instances'
// checks end in any order).
var recordCheckQueries = map[string]string{
	scopes.CheckVerify: `UPDATE connections SET verified_at = ?, verified_ok = ?, verified_step = ?, verified_message = ?
		WHERE name_key = ? AND updated_at <= ? AND (verified_at IS NULL OR verified_at <= ?)`,
	scopes.CheckHealth: `UPDATE connections SET health_at = ?, health_ok = ?, health_step = ?, health_message = ?
		WHERE name_key = ? AND updated_at <= ? AND (health_at IS NULL OR health_at <= ?)`,
}

// resetChecks forgets a connection's checks when its definition changes.
const resetChecks = `verified_at = NULL, verified_ok = FALSE, verified_step = '', verified_message = '',
	health_at = NULL, health_ok = FALSE, health_step = '', health_message = ''`

// RecordCheck keeps the outcome of a connection's Verify (scopes.CheckVerify)
// or of a health check of its open store (scopes.CheckHealth), where every
// instance reads it with the connection. It is not kept when the connection
// is gone, was edited after the check started, or has a later check of that
// kind kept already.
func (s *Store) RecordCheck(ctx context.Context, name, kind string, c scopes.ConnectionCheck) (bool, error) {
	query, ok := recordCheckQueries[kind]
	if !ok {
		return false, scopes.Errorf(scopes.EInvalid, "unknown kind of check %q: use %q or %q", kind, scopes.CheckVerify, scopes.CheckHealth)
	}
	if !storable(name) {
		return false, nil
	}
	if c.OK {
		c.Step, c.Message = "", ""
	}
	at := dbTime(c.At)
	res, err := s.db.ExecContext(ctx, s.q(query), at, c.OK, clipRunes(c.Step, 64), clipRunes(c.Message, maxCheckMessage),
		nameKey(name), at, at)
	if err != nil {
		return false, s.wrap("record the check of a connection", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap("record the check of a connection", err)
	}
	return n > 0, nil
}

// checkOf is a check as a row holds it; never checked when at is NULL.
func checkOf(at sql.NullTime, ok bool, step, message string) scopes.ConnectionCheck {
	if !at.Valid {
		return scopes.ConnectionCheck{}
	}
	return scopes.ConnectionCheck{At: at.Time.UTC(), OK: ok, Step: step, Message: message}
}
