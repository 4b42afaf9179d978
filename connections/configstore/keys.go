package configstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/connections/sqlerr"
	"github.com/scopestore/scopestore/scopes"
)

// checkKeyHash checks that h is the SHA-256 hex of a key and returns it in
// lower case, the form in which hashes are stored and looked up.
func checkKeyHash(h string) (string, error) { return checkHash("an API key", h) }

// checkHash checks that h is the SHA-256 hex of what (a key, a session id)
// and returns it in lower case, the form in which hashes are stored and
// looked up.
func checkHash(what, h string) (string, error) {
	h, ok := normalHash(h)
	if !ok {
		return "", scopes.Errorf(scopes.EInvalid, "%s hash must be 64 hex digits (SHA-256)", what)
	}
	return h, nil
}

// normalHash lowercases a SHA-256 hex hash and says whether it is one.
func normalHash(h string) (string, bool) {
	h = strings.ToLower(h)
	return h, len(h) == 64 && strings.Trim(h, "0123456789abcdef") == ""
}

// insertKey adds an active key hash to an app, labelled label or, when
// label is empty, "key N" after the app's keys so far, revoked ones too;
// it returns the key's id. A hash that another key has already is an
// EConflict: keys are random, so it means a key was reused.
func (s *Store) insertKey(ctx context.Context, tx *sqlx.Tx, app, keyHash, label string, now time.Time) (int64, error) {
	if label == "" {
		var n int
		if err := tx.GetContext(ctx, &n, s.q(`SELECT COUNT(*) FROM api_keys WHERE app = ?`), app); err != nil {
			return 0, err
		}
		label = fmt.Sprintf("key %d", n+1)
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO api_keys (app, key_hash, label, created_at) VALUES (?, ?, ?, ?)`),
		app, keyHash, label, dbTime(now))
	if sqlerr.Duplicate(err) {
		return 0, scopes.Errorf(scopes.EConflict, "this API key is already in use; generate a new one")
	} else if err != nil {
		return 0, err
	}
	// Read back rather than LastInsertId or RETURNING, which the drivers
	// and dialects do not all offer.
	var id int64
	err = tx.GetContext(ctx, &id, s.q(`SELECT id FROM api_keys WHERE key_hash = ?`), keyHash)
	return id, err
}

// ReplaceKeys revokes every active API key of the app and adds one, given
// as the SHA-256 hex of the key; found is false when there is no such app.
func (s *Store) ReplaceKeys(ctx context.Context, app, keyHash string, now time.Time) (bool, error) {
	keyHash, err := checkKeyHash(keyHash)
	if err != nil {
		return false, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, s.wrap("replace keys", err)
	}
	defer func() { _ = tx.Rollback() }()
	if ok, err := s.appExists(ctx, tx, app); err != nil {
		return false, s.wrap("replace keys", err)
	} else if !ok {
		return false, nil
	}
	// The old keys stay listed as revoked; the app's own row of the new
	// hash, if any, goes, so that the hash can be inserted active again.
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE api_keys SET revoked_at = ? WHERE app = ? AND revoked_at IS NULL`), dbTime(now), app); err != nil {
		return false, s.wrap("replace keys", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM api_keys WHERE app = ? AND key_hash = ?`), app, keyHash); err != nil {
		return false, s.wrap("replace keys", err)
	}
	if _, err := s.insertKey(ctx, tx, app, keyHash, "", now); err != nil {
		return false, s.wrap("replace keys", err)
	}
	if err := tx.Commit(); err != nil {
		return false, s.wrap("replace keys", err)
	}
	return true, nil
}

// AppForKey returns the app that owns the active key with this SHA-256 hex
// hash; a revoked key opens nothing.
func (s *Store) AppForKey(ctx context.Context, keyHash string) (string, bool, error) {
	var app string
	err := sqlx.GetContext(ctx, s.db, &app, s.q(`SELECT app FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`), strings.ToLower(keyHash))
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	} else if err != nil {
		return "", false, s.wrap("find the app of a key", err)
	}
	return app, true, nil
}

// RevokeKeys revokes every active API key of the app, leaving it with none;
// found is false when there is no such app.
func (s *Store) RevokeKeys(ctx context.Context, app string, now time.Time) (bool, error) {
	var found bool
	err := s.db.GetContext(ctx, &found, s.q(`SELECT COUNT(*) > 0 FROM apps WHERE name = ?`), app)
	if err != nil {
		return false, s.wrap("revoke keys", err)
	}
	if !found {
		return false, nil
	}
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE api_keys SET revoked_at = ? WHERE app = ? AND revoked_at IS NULL`), dbTime(now), app); err != nil {
		return false, s.wrap("revoke keys", err)
	}
	return true, nil
}
