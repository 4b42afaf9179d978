package configstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

var _ scopes.Outbox = (*Store)(nil)

// notificationErrorLen bounds the last_error kept of a failed delivery.
const notificationErrorLen = 1000

// notificationRow is a notifications row as DueNotifications reads it.
type notificationRow struct {
	ID        int64     `db:"id"`
	App       string    `db:"app"`
	Scope     string    `db:"scope"`
	CFID      string    `db:"cfid"`
	Reason    string    `db:"reason"`
	RotatedTo string    `db:"rotated_to"`
	URL       string    `db:"url"`
	Created   time.Time `db:"created_at"`
	Attempts  int       `db:"attempts"`
	NextAt    time.Time `db:"next_at"`
}

// insertNotification returns the dialect's INSERT that does nothing when
// the scope already has a notification (the unique (app, scope, cfid)),
// delivered or not: so a rotated session's old cfid, whose rotation was
// notified, is not notified again when it expires.
func (s *Store) insertNotification() string {
	const insert = `INSERT INTO notifications (app, scope, cfid, reason, rotated_to, url, created_at, attempts, next_at, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, '')`
	if s.dialect == DialectMySQL {
		// Not INSERT IGNORE, which would turn any other error into a warning.
		return insert + ` ON DUPLICATE KEY UPDATE id = id`
	}
	return s.q(insert + ` ON CONFLICT (app, scope, cfid) DO NOTHING`)
}

// EnqueueNotifications adds notifications to the outbox in one transaction;
// one for a scope that already has one is ignored.
func (s *Store) EnqueueNotifications(ctx context.Context, ns []scopes.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.wrap("enqueue notifications", err)
	}
	defer func() { _ = tx.Rollback() }()
	stmt, err := tx.PreparexContext(ctx, s.insertNotification())
	if err != nil {
		return s.wrap("enqueue notifications", err)
	}
	defer stmt.Close()
	for _, n := range ns {
		if _, err := stmt.ExecContext(ctx, n.Key.App, string(n.Key.Kind), n.Key.CFID, n.Reason, n.RotatedTo, n.URL,
			dbTime(n.Created), dbTime(n.NextAt)); err != nil {
			return s.wrap("enqueue notifications", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.wrap("enqueue notifications", err)
	}
	return nil
}

// DueNotifications returns up to limit notifications neither delivered nor
// given up, due at now and not claimed at now, oldest due first, except
// those of the apps in except.
func (s *Store) DueNotifications(ctx context.Context, now time.Time, limit int, except []string) ([]scopes.Notification, error) {
	var rows []notificationRow
	now = dbTime(now)
	query := `SELECT id, app, scope, cfid, reason, rotated_to, url, created_at, attempts, next_at
		FROM notifications
		WHERE next_at <= ? AND delivered_at IS NULL AND gave_up_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)`
	args := []any{now, now}
	if len(except) > 0 {
		// The apps whose notifications a worker is delivering: left out,
		// so that their backlog does not fill the read and hide the others'.
		query += ` AND app NOT IN (?)`
		args = append(args, except)
	}
	query, args, err := sqlx.In(query+` ORDER BY next_at, id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, s.wrap("read due notifications", err)
	}
	err = sqlx.SelectContext(ctx, s.db, &rows, s.q(query), args...)
	if err != nil {
		return nil, s.wrap("read due notifications", err)
	}
	out := make([]scopes.Notification, 0, len(rows))
	for _, r := range rows {
		out = append(out, scopes.Notification{ID: r.ID, Key: scopes.Key{App: r.App, Kind: scopes.Kind(r.Scope), CFID: r.CFID},
			Reason: r.Reason, RotatedTo: r.RotatedTo, URL: r.URL, Created: r.Created.UTC(), Attempts: r.Attempts, NextAt: r.NextAt.UTC()})
	}
	return out, nil
}

// ClaimNotification claims a notification until until with one UPDATE whose
// WHERE holds only while nobody else's claim is current: of two instances
// that claim together, the database lets one UPDATE change the row, and the
// other finds it claimed and changes nothing.
func (s *Store) ClaimNotification(ctx context.Context, id int64, now, until time.Time) (bool, error) {
	now = dbTime(now)
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE notifications SET claimed_until = ?
		WHERE id = ? AND next_at <= ? AND delivered_at IS NULL AND gave_up_at IS NULL
		AND (claimed_until IS NULL OR claimed_until < ?)`), dbTime(until), id, now, now)
	if err != nil {
		return false, s.wrap("claim a notification", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap("claim a notification", err)
	}
	return n == 1, nil
}

// NotificationDelivered marks a notification delivered.
func (s *Store) NotificationDelivered(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE notifications SET delivered_at = ?, claimed_until = NULL WHERE id = ?`),
		dbTime(at), id)
	if err != nil {
		return s.wrap("mark a notification delivered", err)
	}
	return nil
}

// NotificationFailed records a failed delivery and when to try again, or
// that delivery is given up.
func (s *Store) NotificationFailed(ctx context.Context, id int64, attempts int, next time.Time, lastErr string, gaveUp bool) error {
	var gaveUpAt sql.NullTime
	if gaveUp {
		gaveUpAt = sql.NullTime{Time: dbTime(time.Now()), Valid: true}
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE notifications
		SET attempts = ?, next_at = ?, last_error = ?, gave_up_at = ?, claimed_until = NULL WHERE id = ?`),
		attempts, dbTime(next), clipRunes(lastErr, notificationErrorLen), gaveUpAt, id)
	if err != nil {
		return s.wrap("record a failed notification", err)
	}
	return nil
}

// DeleteNotifications deletes the delivered and given-up notifications
// created before before.
func (s *Store) DeleteNotifications(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM notifications
		WHERE created_at < ? AND (delivered_at IS NOT NULL OR gave_up_at IS NOT NULL)`), dbTime(before))
	if err != nil {
		return 0, s.wrap("delete old notifications", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap("delete old notifications", err)
	}
	return n, nil
}
