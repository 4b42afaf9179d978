package configstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

// keyRow is an api_keys row without its hash, which is never shown.
type keyRow struct {
	ID       int64        `db:"id"`
	App      string       `db:"app"`
	Label    string       `db:"label"`
	Created  time.Time    `db:"created_at"`
	LastUsed sql.NullTime `db:"last_used_at"`
	Revoked  sql.NullTime `db:"revoked_at"`
}

// selectKeys reads keys without their hashes; callers add a WHERE clause.
const selectKeys = `SELECT id, app, label, created_at, last_used_at, revoked_at FROM api_keys`

func (r keyRow) key() scopes.APIKey {
	k := scopes.APIKey{ID: r.ID, App: r.App, Label: r.Label, Created: r.Created.UTC()}
	if r.LastUsed.Valid {
		k.LastUsed = r.LastUsed.Time.UTC()
	}
	if r.Revoked.Valid {
		k.Revoked = r.Revoked.Time.UTC()
	}
	return k
}

// AddKey adds an active API key to the app, given as the SHA-256 hex of the
// key, labelled label ("" names it "key N"); the app's other keys stay
// active. found is false when there is no such app.
func (s *Store) AddKey(ctx context.Context, app, keyHash, label string, now time.Time) (scopes.APIKey, bool, error) {
	keyHash, err := checkKeyHash(keyHash)
	if err != nil {
		return scopes.APIKey{}, false, err
	}
	if label, err = scopes.ValidateKeyLabel(label); err != nil {
		return scopes.APIKey{}, false, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return scopes.APIKey{}, false, s.wrap("add key", err)
	}
	defer func() { _ = tx.Rollback() }()
	if ok, err := s.appExists(ctx, tx, app); err != nil {
		return scopes.APIKey{}, false, s.wrap("add key", err)
	} else if !ok {
		return scopes.APIKey{}, false, nil
	}
	id, err := s.insertKey(ctx, tx, app, keyHash, label, now)
	if err != nil {
		return scopes.APIKey{}, false, s.wrap("add key", err)
	}
	k, _, err := s.keyByID(ctx, tx, app, id)
	if err != nil {
		return scopes.APIKey{}, false, s.wrap("add key", err)
	}
	if err := tx.Commit(); err != nil {
		return scopes.APIKey{}, false, s.wrap("add key", err)
	}
	return k, true, nil
}

// Keys lists the app's API keys, revoked ones too, oldest first; found is
// false when there is no such app.
func (s *Store) Keys(ctx context.Context, app string) ([]scopes.APIKey, bool, error) {
	if !storable(app) {
		return nil, false, nil
	}
	var n int
	if err := s.db.GetContext(ctx, &n, s.q(`SELECT COUNT(*) FROM apps WHERE name = ?`), app); err != nil {
		return nil, false, s.wrap("list keys", err)
	}
	if n == 0 {
		return nil, false, nil
	}
	var rows []keyRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, s.q(selectKeys+` WHERE app = ? ORDER BY id`), app); err != nil {
		return nil, false, s.wrap("list keys", err)
	}
	keys := make([]scopes.APIKey, len(rows))
	for i, r := range rows {
		keys[i] = r.key()
	}
	return keys, true, nil
}

// RevokeKey revokes the app's key with this id and returns it with the
// number of the app's active keys left. Unless force, it refuses
// (EConflict, scopes.ErrLastKey) to revoke the last active key; a key
// revoked already is an EConflict too. found is false when there is no
// such app or no such key of it.
//
// The app's row is locked first (SQLite's transactions take the write lock
// at BEGIN), so that two administrators revoking an app's last two keys at
// once cannot both pass the check.
func (s *Store) RevokeKey(ctx context.Context, app string, id int64, force bool, now time.Time) (scopes.APIKey, int, bool, error) {
	if !storable(app) {
		return scopes.APIKey{}, 0, false, nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return scopes.APIKey{}, 0, false, s.wrap("revoke key", err)
	}
	defer func() { _ = tx.Rollback() }()
	lock := ""
	if s.dialect != DialectSQLite {
		lock = " FOR UPDATE"
	}
	var name string
	err = tx.GetContext(ctx, &name, s.q(`SELECT name FROM apps WHERE name = ?`+lock), app)
	if errors.Is(err, sql.ErrNoRows) {
		return scopes.APIKey{}, 0, false, nil
	} else if err != nil {
		return scopes.APIKey{}, 0, false, s.wrap("revoke key", err)
	}
	k, found, err := s.keyByID(ctx, tx, app, id)
	if err != nil {
		return scopes.APIKey{}, 0, false, s.wrap("revoke key", err)
	} else if !found {
		return scopes.APIKey{}, 0, false, nil
	}
	if !k.Active() {
		return scopes.APIKey{}, 0, false, scopes.Errorf(scopes.EConflict, "%s of %s was revoked already, at %s", k.Name(), app, k.Revoked.Format(time.RFC3339))
	}
	var left int
	if err := tx.GetContext(ctx, &left, s.q(`SELECT COUNT(*) FROM api_keys WHERE app = ? AND revoked_at IS NULL AND id <> ?`), app, id); err != nil {
		return scopes.APIKey{}, 0, false, s.wrap("revoke key", err)
	}
	if left == 0 && !force {
		return scopes.APIKey{}, 0, false, scopes.LastKeyRefusal(k)
	}
	k.Revoked = dbTime(now)
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE api_keys SET revoked_at = ? WHERE id = ?`), k.Revoked, id); err != nil {
		return scopes.APIKey{}, 0, false, s.wrap("revoke key", err)
	}
	if err := tx.Commit(); err != nil {
		return scopes.APIKey{}, 0, false, s.wrap("revoke key", err)
	}
	return k, left, true, nil
}

// keyByID reads one key of the app inside a transaction.
func (s *Store) keyByID(ctx context.Context, tx *sqlx.Tx, app string, id int64) (scopes.APIKey, bool, error) {
	var r keyRow
	err := tx.GetContext(ctx, &r, s.q(selectKeys+` WHERE app = ? AND id = ?`), app, id)
	if errors.Is(err, sql.ErrNoRows) {
		return scopes.APIKey{}, false, nil
	} else if err != nil {
		return scopes.APIKey{}, false, err
	}
	return r.key(), true, nil
}

// KeyUsed records that the key with this SHA-256 hex hash was used at the
// time given. The statement writes only when the time is later than the
// one recorded, so that instances whose writes cross keep the latest, and
// a clock behind by a little does not move it back.
func (s *Store) KeyUsed(ctx context.Context, keyHash string, at time.Time) error {
	keyHash, ok := normalHash(keyHash)
	if !ok {
		return scopes.Errorf(scopes.EInvalid, "an API key hash must be 64 hex digits (SHA-256)")
	}
	at = dbTime(at)
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE api_keys SET last_used_at = ?
		WHERE key_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)`), at, keyHash, at)
	if err != nil {
		return s.wrap("record key use", err)
	}
	return nil
}
