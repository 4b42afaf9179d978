package configstore

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

// The widths of the audit_log columns: characters for the VARCHARs, bytes for
// detail, the most MySQL's TEXT holds.
const (
	auditActorLen    = 128
	auditActionLen   = 64
	auditTargetLen   = 255
	auditDetailBytes = 65535
)

// maxAuditLimit is the most entries Audit returns at once.
const maxAuditLimit = 500

// ellipsis ends a field that was cut to fit its column.
const ellipsis = "…"

// auditRow is an audit_log row.
type auditRow struct {
	ID     int64     `db:"id"`
	At     time.Time `db:"at"`
	Actor  string    `db:"actor"`
	Action string    `db:"action"`
	Target string    `db:"target"`
	Detail string    `db:"detail"`
}

// AddAudit records a change in the audit log; At defaults to the current
// time and ID is chosen by the database. Actor, action and target are
// required. A field too long for its column is cut, and ends with "…", and
// text that is not valid UTF-8 is repaired, rather than the write refused:
// an audit write must not break the change it records.
func (s *Store) AddAudit(ctx context.Context, e scopes.AuditEntry) error {
	for _, f := range []struct{ what, value string }{{"actor", e.Actor}, {"action", e.Action}, {"target", e.Target}} {
		if f.value == "" {
			return scopes.Errorf(scopes.EInvalid, "an audit entry's %s is required", f.what)
		}
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`),
		dbTime(e.At),
		clipRunes(e.Actor, auditActorLen),
		clipRunes(e.Action, auditActionLen),
		clipRunes(e.Target, auditTargetLen),
		clipBytes(e.Detail, auditDetailBytes))
	if err != nil {
		return s.wrap("add audit entry", err)
	}
	return nil
}

// Audit returns up to limit entries older than the entry with ID before (0
// or less for the newest), newest first. limit is held between 1 and 500.
func (s *Store) Audit(ctx context.Context, before int64, limit int) ([]scopes.AuditEntry, error) {
	limit = min(max(limit, 1), maxAuditLimit)
	query := `SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?`
	args := []any{limit}
	if before > 0 {
		query = `SELECT id, at, actor, action, target, detail FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?`
		args = []any{before, limit}
	}
	var rows []auditRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, s.q(query), args...); err != nil {
		return nil, s.wrap("read audit log", err)
	}
	entries := make([]scopes.AuditEntry, 0, len(rows))
	for _, r := range rows {
		entries = append(entries, scopes.AuditEntry{ID: r.ID, At: r.At.UTC(), Actor: r.Actor,
			Action: r.Action, Target: r.Target, Detail: r.Detail})
	}
	return entries, nil
}

// storableText returns s as every dialect stores it: valid UTF-8 (MySQL and
// PostgreSQL refuse anything else) without NUL bytes (PostgreSQL refuses
// them in text), each bad byte replaced by U+FFFD.
func storableText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// clipRunes returns s made storable and cut to at most n characters, the
// last of them "…" when it was cut.
func clipRunes(s string, n int) string {
	s = storableText(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n-1 {
			return s[:i] + ellipsis
		}
		count++
	}
	return s
}

// clipBytes returns s made storable and cut on a character boundary to at
// most n bytes, the last of them "…" when it was cut.
func clipBytes(s string, n int) string {
	s = storableText(s)
	if len(s) <= n {
		return s
	}
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// DeleteAuditBefore deletes the audit entries recorded before t, for the
// audit log's retention, and returns how many it deleted.
func (s *Store) DeleteAuditBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM audit_log WHERE at < ?`), dbTime(t))
	if err != nil {
		return 0, s.wrap("delete old audit entries", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap("delete old audit entries", err)
	}
	return int(n), nil
}
