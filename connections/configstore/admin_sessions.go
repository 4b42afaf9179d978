package configstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/connections/sqlerr"
	"github.com/scopestore/scopestore/scopes"
)

// CreateAdminSession stores a login session of the user under the SHA-256
// hex of its id, so that a leaked database holds no usable session id, and
// records the current time as the user's last login; an id hash in use
// already is an EConflict.
func (s *Store) CreateAdminSession(ctx context.Context, idHash, user string, expires time.Time) error {
	idHash, err := checkHash("an admin session id", idHash)
	if err != nil {
		return err
	}
	if err := checkName("admin user", user); err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.wrap("create admin session", err)
	}
	defer func() { _ = tx.Rollback() }()
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO admin_sessions (id_hash, username, expires_at) VALUES (?, ?, ?)`),
		idHash, user, dbTime(expires))
	if sqlerr.Duplicate(err) {
		// Session ids are random: a clash means one was reused.
		return scopes.Errorf(scopes.EConflict, "this admin session id is already in use; generate a new one")
	} else if err != nil {
		return s.wrap("create admin session", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE admin_users SET last_login_at = ? WHERE name = ?`), dbTime(time.Now()), user); err != nil {
		return s.wrap("record admin login", err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrap("create admin session", err)
	}
	return nil
}

// AdminSession returns the user of the session with this SHA-256 hex id
// hash; a session that expires at now or before is not found.
func (s *Store) AdminSession(ctx context.Context, idHash string, now time.Time) (string, bool, error) {
	idHash, ok := normalHash(idHash)
	if !ok {
		// No stored session has such a hash.
		return "", false, nil
	}
	var user string
	err := sqlx.GetContext(ctx, s.db, &user,
		s.q(`SELECT username FROM admin_sessions WHERE id_hash = ? AND expires_at > ?`), idHash, dbTime(now))
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	} else if err != nil {
		return "", false, s.wrap("read admin session", err)
	}
	return user, true, nil
}

// DeleteAdminSession removes the session with this SHA-256 hex id hash; a
// session that is not there is already as good as deleted.
func (s *Store) DeleteAdminSession(ctx context.Context, idHash string) error {
	idHash, ok := normalHash(idHash)
	if !ok {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM admin_sessions WHERE id_hash = ?`), idHash); err != nil {
		return s.wrap("delete admin session", err)
	}
	return nil
}

// DeleteExpiredAdminSessions removes the sessions that expire at now or
// before and returns how many it removed.
func (s *Store) DeleteExpiredAdminSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM admin_sessions WHERE expires_at <= ?`), dbTime(now))
	if err != nil {
		return 0, s.wrap("delete expired admin sessions", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap("delete expired admin sessions", err)
	}
	return int(n), nil
}
