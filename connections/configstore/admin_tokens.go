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

// tokenRow is an admin_tokens row without its hash, which is never shown.
type tokenRow struct {
	ID       int64        `db:"id"`
	User     string       `db:"username"`
	Name     string       `db:"name"`
	Created  time.Time    `db:"created_at"`
	LastUsed sql.NullTime `db:"last_used_at"`
	Revoked  sql.NullTime `db:"revoked_at"`
}

// selectTokens reads tokens without their hashes; callers add the rest.
const selectTokens = `SELECT id, username, name, created_at, last_used_at, revoked_at FROM admin_tokens`

func (r tokenRow) token() scopes.AdminToken {
	t := scopes.AdminToken{ID: r.ID, User: r.User, Name: r.Name, Created: r.Created.UTC()}
	if r.LastUsed.Valid {
		t.LastUsed = r.LastUsed.Time.UTC()
	}
	if r.Revoked.Valid {
		t.Revoked = r.Revoked.Time.UTC()
	}
	return t
}

// AddAdminToken stores an active admin API token of the user, given as the
// SHA-256 hex of the token; ENotFound when there is no such user. A hash
// in use already is an EConflict: tokens are random, so it means one was
// reused.
func (s *Store) AddAdminToken(ctx context.Context, user, name, hash string, now time.Time) (scopes.AdminToken, error) {
	hash, err := checkHash("an admin token", hash)
	if err != nil {
		return scopes.AdminToken{}, err
	}
	if name, err = scopes.ValidateTokenName(name); err != nil {
		return scopes.AdminToken{}, err
	}
	u, found, err := s.AdminUser(ctx, user)
	if err != nil {
		return scopes.AdminToken{}, err
	} else if !found {
		return scopes.AdminToken{}, scopes.Errorf(scopes.ENotFound, "there is no console user %q: a token acts for a user, so add the user first", user)
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO admin_tokens (username, name, token_hash, created_at) VALUES (?, ?, ?, ?)`),
		u.Name, name, hash, dbTime(now))
	switch {
	case sqlerr.Duplicate(err):
		return scopes.AdminToken{}, scopes.Errorf(scopes.EConflict, "this admin token is already in use; generate a new one")
	case err != nil:
		return scopes.AdminToken{}, s.wrap("add admin token", err)
	}
	// Read back rather than LastInsertId or RETURNING, which the drivers
	// and dialects do not all offer.
	var r tokenRow
	if err := sqlx.GetContext(ctx, s.db, &r, s.q(selectTokens+` WHERE token_hash = ?`), hash); err != nil {
		return scopes.AdminToken{}, s.wrap("add admin token", err)
	}
	return r.token(), nil
}

// AdminTokens lists every admin API token, revoked ones too, oldest first.
func (s *Store) AdminTokens(ctx context.Context) ([]scopes.AdminToken, error) {
	var rows []tokenRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, s.q(selectTokens+` ORDER BY id`)); err != nil {
		return nil, s.wrap("list admin tokens", err)
	}
	tokens := make([]scopes.AdminToken, len(rows))
	for i, r := range rows {
		tokens[i] = r.token()
	}
	return tokens, nil
}

// ActiveAdminToken returns the active admin API token with this SHA-256 hex
// hash; a revoked one, or a hash of no token, is not found.
func (s *Store) ActiveAdminToken(ctx context.Context, hash string) (scopes.AdminToken, bool, error) {
	hash, ok := normalHash(hash)
	if !ok {
		return scopes.AdminToken{}, false, nil
	}
	var r tokenRow
	err := sqlx.GetContext(ctx, s.db, &r, s.q(selectTokens+` WHERE token_hash = ? AND revoked_at IS NULL`), hash)
	if errors.Is(err, sql.ErrNoRows) {
		return scopes.AdminToken{}, false, nil
	} else if err != nil {
		return scopes.AdminToken{}, false, s.wrap("read admin token", err)
	}
	return r.token(), true, nil
}

// RevokeAdminToken revokes the admin API token with this id and returns it;
// one revoked already is an EConflict.
func (s *Store) RevokeAdminToken(ctx context.Context, id int64, now time.Time) (scopes.AdminToken, bool, error) {
	var r tokenRow
	err := sqlx.GetContext(ctx, s.db, &r, s.q(selectTokens+` WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return scopes.AdminToken{}, false, nil
	} else if err != nil {
		return scopes.AdminToken{}, false, s.wrap("revoke admin token", err)
	}
	t := r.token()
	// The condition on revoked_at makes two revocations at once answer one
	// "revoked" and one "revoked already".
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), dbTime(now), id)
	if err != nil {
		return scopes.AdminToken{}, false, s.wrap("revoke admin token", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return scopes.AdminToken{}, false, s.wrap("revoke admin token", err)
	} else if n == 0 {
		return scopes.AdminToken{}, false, scopes.Errorf(scopes.EConflict, "%s was revoked already", t.Title())
	}
	t.Revoked = dbTime(now)
	return t, true, nil
}

// AdminTokenUsed records that the admin API token with this SHA-256 hex
// hash was used at; as KeyUsed does, it only moves the time forward.
func (s *Store) AdminTokenUsed(ctx context.Context, hash string, at time.Time) error {
	hash, ok := normalHash(hash)
	if !ok {
		return scopes.Errorf(scopes.EInvalid, "an admin token hash must be 64 hex digits (SHA-256)")
	}
	at = dbTime(at)
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE admin_tokens SET last_used_at = ?
		WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)`), at, hash, at)
	if err != nil {
		return s.wrap("record admin token use", err)
	}
	return nil
}
