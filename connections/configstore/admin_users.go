package configstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

// adminUserRow is an admin_users row.
type adminUserRow struct {
	Name         string       `db:"name"`
	PasswordHash string       `db:"password_hash"`
	Created      time.Time    `db:"created_at"`
	Role         string       `db:"role"`
	LastLogin    sql.NullTime `db:"last_login_at"`
	MustChange   bool         `db:"must_change_password"`
}

// selectAdminUsers reads admin users; callers add a WHERE clause.
const selectAdminUsers = `SELECT name, password_hash, created_at, role, last_login_at, must_change_password FROM admin_users`

// AdminUsers returns every user of the console, by name.
func (s *Store) AdminUsers(ctx context.Context) ([]scopes.AdminUser, error) {
	var rows []adminUserRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, selectAdminUsers); err != nil {
		return nil, s.wrap("list admin users", err)
	}
	users := make([]scopes.AdminUser, 0, len(rows))
	for _, r := range rows {
		users = append(users, adminUser(r))
	}
	// Sorted here rather than by ORDER BY, whose order follows each
	// database's collation.
	slices.SortFunc(users, func(a, b scopes.AdminUser) int { return strings.Compare(a.Name, b.Name) })
	return users, nil
}

// AdminUser returns the user of that name; names are exact.
func (s *Store) AdminUser(ctx context.Context, name string) (scopes.AdminUser, bool, error) {
	if !storable(name) {
		return scopes.AdminUser{}, false, nil
	}
	var row adminUserRow
	err := sqlx.GetContext(ctx, s.db, &row, s.q(selectAdminUsers+` WHERE name = ?`), name)
	if errors.Is(err, sql.ErrNoRows) {
		return scopes.AdminUser{}, false, nil
	} else if err != nil {
		return scopes.AdminUser{}, false, s.wrap("read admin user", err)
	}
	return adminUser(row), true, nil
}

// SetAdminUser creates the user, or replaces the password hash and
// MustChangePassword of the one of that name, whose creation time and
// role stay. Created defaults to the current time, Role to administrator.
func (s *Store) SetAdminUser(ctx context.Context, u scopes.AdminUser) error {
	u, err := newAdminUser(u)
	if err != nil {
		return err
	}
	// One statement, so that two instances setting the same new user
	// together cannot meet a duplicate key.
	query := `INSERT INTO admin_users (name, password_hash, created_at, role, must_change_password) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, must_change_password = excluded.must_change_password`
	if s.dialect == DialectMySQL {
		// VALUES() rather than MySQL 8's row alias, which MariaDB lacks.
		query = `INSERT INTO admin_users (name, password_hash, created_at, role, must_change_password) VALUES (?, ?, ?, ?, ?)
			ON DUPLICATE KEY UPDATE password_hash = VALUES(password_hash), must_change_password = VALUES(must_change_password)`
	}
	if _, err := s.db.ExecContext(ctx, s.q(query), u.Name, u.PasswordHash, dbTime(u.Created), u.Role, u.MustChangePassword); err != nil {
		return s.wrap("set admin user", err)
	}
	return nil
}

// newAdminUser checks a user to be stored and fills in its defaults: now
// as its creation time, administrator as its role.
func newAdminUser(u scopes.AdminUser) (scopes.AdminUser, error) {
	if err := checkName("admin user", u.Name); err != nil {
		return u, err
	}
	if err := checkPasswordHash(u.Name, u.PasswordHash); err != nil {
		return u, err
	}
	if u.Role == "" {
		u.Role = scopes.RoleAdministrator
	}
	if err := checkRole(u.Role); err != nil {
		return u, err
	}
	if u.Created.IsZero() {
		u.Created = time.Now()
	}
	return u, nil
}

// checkPasswordHash rejects a hash that the dialects would not all keep.
func checkPasswordHash(name, hash string) error {
	switch {
	case hash == "":
		return scopes.Errorf(scopes.EInvalid, "admin user %q: a password hash is required", name)
	case !utf8.ValidString(hash) || strings.ContainsRune(hash, 0):
		return scopes.Errorf(scopes.EInvalid, "admin user %q: the password hash is not valid UTF-8 text", name)
	case utf8.RuneCountInString(hash) > 255:
		return scopes.Errorf(scopes.EInvalid, "admin user %q: the password hash is longer than 255 characters", name)
	}
	return nil
}

// checkRole rejects a role that is not one of scopes.Roles.
func checkRole(role string) error {
	if !scopes.ValidRole(role) {
		return scopes.Errorf(scopes.EInvalid, "%q is not a role: use %s or %s", role, scopes.RoleAdministrator, scopes.RoleOperator)
	}
	return nil
}

// adminUser converts a row, its times in UTC.
func adminUser(r adminUserRow) scopes.AdminUser {
	u := scopes.AdminUser{Name: r.Name, PasswordHash: r.PasswordHash, Created: r.Created.UTC(), Role: r.Role, MustChangePassword: r.MustChange}
	if r.LastLogin.Valid {
		u.LastLogin = r.LastLogin.Time.UTC()
	}
	return u
}
