package configstore

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/connections/sqlerr"
	"github.com/scopestore/scopestore/scopes"
)

// AddAdminUser creates a user of the console, with its MustChangePassword;
// a name in use is an EConflict. Created defaults to the current time,
// Role to administrator.
func (s *Store) AddAdminUser(ctx context.Context, u scopes.AdminUser) error {
	u, err := newAdminUser(u)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO admin_users (name, password_hash, created_at, role, must_change_password) VALUES (?, ?, ?, ?, ?)`),
		u.Name, u.PasswordHash, dbTime(u.Created), u.Role, u.MustChangePassword)
	if sqlerr.Duplicate(err) {
		return scopes.Errorf(scopes.EConflict, "there is a user %s already", u.Name)
	} else if err != nil {
		return s.wrap("add admin user", err)
	}
	return nil
}

// DeleteAdminUser deletes the user and its console sessions. The last
// administrator is kept (scopes.LastAdministratorRefusal).
func (s *Store) DeleteAdminUser(ctx context.Context, name string) error {
	return s.editAdminUser(ctx, "delete admin user", name, func(tx *sqlx.Tx, u scopes.AdminUser, admins int) error {
		if u.Role == scopes.RoleAdministrator && admins == 1 {
			return scopes.LastAdministratorRefusal(name, "deleting "+name)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM admin_sessions WHERE username = ?`), name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM admin_users WHERE name = ?`), name)
		return err
	})
}

// SetAdminRole changes the user's role. Making the last administrator an
// operator is refused (scopes.LastAdministratorRefusal); the user's
// sessions stay, and take the new role with their next request.
func (s *Store) SetAdminRole(ctx context.Context, name, role string) error {
	if err := checkRole(role); err != nil {
		return err
	}
	return s.editAdminUser(ctx, "set admin role", name, func(tx *sqlx.Tx, u scopes.AdminUser, admins int) error {
		if u.Role == scopes.RoleAdministrator && role != scopes.RoleAdministrator && admins == 1 {
			return scopes.LastAdministratorRefusal(name, "making "+name+" an "+role)
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE admin_users SET role = ? WHERE name = ?`), role, name)
		return err
	})
}

// SetAdminPassword replaces the user's password hash and whether they
// must change it, and deletes their sessions but the one whose id hash is
// keep, in one transaction, so that no session opened with the old
// password outlives the change.
func (s *Store) SetAdminPassword(ctx context.Context, name, hash, keep string, mustChange bool) error {
	if err := checkPasswordHash(name, hash); err != nil {
		return err
	}
	keep, _ = normalHash(keep)
	return s.editAdminUser(ctx, "set admin password", name, func(tx *sqlx.Tx, _ scopes.AdminUser, _ int) error {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE admin_users SET password_hash = ?, must_change_password = ? WHERE name = ?`), hash, mustChange, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM admin_sessions WHERE username = ? AND id_hash <> ?`), name, keep)
		return err
	})
}

// editAdminUser runs change in a transaction that first locks every
// administrator's row and the user's own (SQLite's transactions take the
// write lock at BEGIN), so that two changes at once cannot both count the
// other's administrator and leave none. change gets the user and the
// number of administrators; a user that is not there is an ENotFound.
func (s *Store) editAdminUser(ctx context.Context, op, name string, change func(tx *sqlx.Tx, u scopes.AdminUser, admins int) error) error {
	if !storable(name) {
		return noAdminUser(name)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.wrap(op, err)
	}
	defer func() { _ = tx.Rollback() }()
	lock := ""
	if s.dialect != DialectSQLite {
		lock = " FOR UPDATE"
	}
	var rows []adminUserRow
	err = tx.SelectContext(ctx, &rows, s.q(selectAdminUsers+` WHERE role = ? OR name = ?`+lock), scopes.RoleAdministrator, name)
	if err != nil {
		return s.wrap(op, err)
	}
	var u scopes.AdminUser
	found, admins := false, 0
	for _, r := range rows {
		if r.Role == scopes.RoleAdministrator {
			admins++
		}
		if r.Name == name {
			u, found = adminUser(r), true
		}
	}
	if !found {
		return noAdminUser(name)
	}
	if err := change(tx, u, admins); err != nil {
		return s.wrap(op, err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(op, err)
	}
	return nil
}

// noAdminUser is the answer about a user that is not there.
func noAdminUser(name string) error {
	return scopes.Errorf(scopes.ENotFound, "there is no user %s", name)
}
