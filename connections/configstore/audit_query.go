package configstore

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

// AuditQuery returns one page of the audit log, newest first, by keyset on
// (at, id): the audit_log_at index (which carries the id beside it in
// InnoDB and SQLite) finds the first entry of the page, so that no page
// costs more than the one before it, and entries of the same microsecond
// keep their order.
//
// The time range and the position narrow the index. Actor, action and target
// are matched on the entries it yields: a target substring can use no index
// on any dialect, so a filtered query examines at most q.MaxScan entries of
// the range and, when they hold fewer than q.Limit matches, returns the last
// one examined as Stop for the next query to go on from.
func (s *Store) AuditQuery(ctx context.Context, q scopes.AuditQuery) (scopes.AuditPage, error) {
	if !q.Before.IsZero() && !q.After.IsZero() {
		return scopes.AuditPage{}, scopes.Errorf(scopes.EInvalid, "an audit query reads either before a position or after it, not both")
	}
	limit := min(max(q.Limit, 1), scopes.MaxAuditLimit)
	scan := q.MaxScan
	if scan <= 0 {
		scan = scopes.DefaultAuditScan
	}
	scan = min(max(scan, limit), scopes.MaxAuditScan)
	newer := !q.After.IsZero()
	order := auditOrder("", newer)

	rangeSQL, rangeArgs := auditRange(q)
	from := s.auditFrom()
	var (
		query string
		args  []any
	)
	if !q.Filtered() {
		query = `SELECT id, at, actor, action, target, detail` + from + rangeSQL + order + ` LIMIT ` + strconv.Itoa(limit)
		args = rangeArgs
	} else {
		// The window is the scan's bound; detail stays out of it, so that
		// MySQL, which materialises a derived table, copies small rows.
		filterSQL, filterArgs := auditMatch(q.AuditFilter)
		window := `SELECT id, at, actor, action, target` + from + rangeSQL + order + ` LIMIT ` + strconv.Itoa(scan)
		matches := `SELECT id FROM (` + window + `) w WHERE ` + filterSQL + order + ` LIMIT ` + strconv.Itoa(limit)
		query = `SELECT a.id, a.at, a.actor, a.action, a.target, a.detail FROM audit_log a JOIN (` + matches + `) m ON a.id = m.id` +
			auditOrder("a.", newer)
		args = slices.Concat(rangeArgs, filterArgs)
	}
	var rows []auditRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, s.q(query), args...); err != nil {
		return scopes.AuditPage{}, s.wrap("read audit log", err)
	}
	page := scopes.AuditPage{Entries: make([]scopes.AuditEntry, 0, len(rows))}
	for _, r := range rows {
		page.Entries = append(page.Entries, r.entry())
	}
	if newer {
		slices.Reverse(page.Entries)
	}
	if q.Filtered() && len(rows) < limit {
		stop, err := s.auditStop(ctx, rangeSQL, rangeArgs, order, scan)
		if err != nil {
			return scopes.AuditPage{}, err
		}
		page.Stop = stop
	}
	return page, nil
}

// auditFrom names the table a query reads in order. MariaDB, with no range
// on at to narrow, reads the whole table and sorts it rather than walk the
// index for a LIMIT of thousands (its EXPLAIN says filesort at 300,000
// rows): FORCE INDEX holds it to the walk, which InnoDB's index (at, then
// the primary key) returns in the log's order.
func (s *Store) auditFrom() string {
	if s.dialect == DialectMySQL {
		return " FROM audit_log FORCE INDEX (audit_log_at)"
	}
	return " FROM audit_log"
}

// auditOrder is the log's order, newest first, or oldest first to read
// newer entries from a position; table prefixes the columns ("a.").
func auditOrder(table string, oldestFirst bool) string {
	if oldestFirst {
		return " ORDER BY " + table + "at, " + table + "id"
	}
	return " ORDER BY " + table + "at DESC, " + table + "id DESC"
}

// auditStop returns the scan-th entry of the range, the last a filtered
// query examined, or the zero position when the range holds fewer: then
// the scan reached the end of the log and nothing lies past it. It steps
// over at most scan entries of the index, as the query itself did.
func (s *Store) auditStop(ctx context.Context, rangeSQL string, rangeArgs []any, order string, scan int) (scopes.AuditPos, error) {
	var rows []auditRow
	query := `SELECT id, at` + s.auditFrom() + rangeSQL + order + ` LIMIT 1 OFFSET ` + strconv.Itoa(scan-1)
	if err := sqlx.SelectContext(ctx, s.db, &rows, s.q(query), rangeArgs...); err != nil {
		return scopes.AuditPos{}, s.wrap("read audit log", err)
	}
	if len(rows) == 0 {
		return scopes.AuditPos{}, nil
	}
	return scopes.AuditPos{At: rows[0].At.UTC(), ID: rows[0].ID}, nil
}

// auditRange is the WHERE clause the at index answers: the time range and
// the position to read from. The position is written as a range on at plus
// a tie-break on id, rather than as a row comparison, which not every
// dialect's planner turns into an index range.
func auditRange(q scopes.AuditQuery) (string, []any) {
	var conds []string
	var args []any
	if !q.Since.IsZero() {
		conds, args = append(conds, "at >= ?"), append(args, dbTime(q.Since))
	}
	if !q.Until.IsZero() {
		conds, args = append(conds, "at < ?"), append(args, dbTime(q.Until))
	}
	if p := q.Before; !p.IsZero() {
		at := dbTime(p.At)
		conds, args = append(conds, "at <= ? AND (at < ? OR id < ?)"), append(args, at, at, p.ID)
	}
	if p := q.After; !p.IsZero() {
		at := dbTime(p.At)
		conds, args = append(conds, "at >= ? AND (at > ? OR id > ?)"), append(args, at, at, p.ID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// auditMatch is the filter on actor, action and target, compared in lower
// case on every dialect (MySQL's audit_log is utf8mb4_bin, PostgreSQL's LIKE
// has case, SQLite's has none).
func auditMatch(f scopes.AuditFilter) (string, []any) {
	var conds []string
	var args []any
	if v := strings.ToLower(strings.TrimSpace(f.Actor)); v != "" {
		if strings.Contains(v, ":") {
			conds, args = append(conds, "LOWER(actor) = ?"), append(args, v)
		} else {
			conds = append(conds, "(LOWER(actor) = ? OR LOWER(actor) LIKE ? ESCAPE '!')")
			args = append(args, v, "%:"+likeEscape(v))
		}
	}
	if v := strings.ToLower(strings.TrimSpace(f.Action)); v != "" {
		conds, args = append(conds, "LOWER(action) LIKE ? ESCAPE '!'"), append(args, likeEscape(v)+"%")
	}
	if v := strings.ToLower(strings.TrimSpace(f.Target)); v != "" {
		conds, args = append(conds, "LOWER(target) LIKE ? ESCAPE '!'"), append(args, "%"+likeEscape(v)+"%")
	}
	return strings.Join(conds, " AND "), args
}

// likeEscape makes s match itself in a LIKE pattern with ESCAPE '!'; '!'
// rather than a backslash, which MySQL's string literals would eat.
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// entry is the row as the domain has it, in UTC.
func (r auditRow) entry() scopes.AuditEntry {
	return scopes.AuditEntry{ID: r.ID, At: r.At.UTC(), Actor: r.Actor, Action: r.Action, Target: r.Target, Detail: r.Detail}
}
