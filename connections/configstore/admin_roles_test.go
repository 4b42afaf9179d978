package configstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"github.com/scopestore/scopestore/migrations"
	"github.com/scopestore/scopestore/scopes"
)

// TestAdminRoles runs the tests of several console users with roles
// against SQLite, MariaDB and PostgreSQL, each test on a database of its own.
func TestAdminRoles(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range adminRoleTests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					e := &env{dsn: b.dsn(t), dir: t.TempDir()}
					e.s = e.open(t, testKey)
					tc.run(t, e)
				})
			}
		})
	}
}

// roles returns each user's role, by name.
func roles(t *testing.T, s *Store) map[string]string {
	t.Helper()
	users, err := s.AdminUsers(context.Background())
	must(t, "AdminUsers", err)
	m := map[string]string{}
	for _, u := range users {
		m[u.Name] = u.Role
	}
	return m
}

// sessionOf tells whether the session with the id hash of id is open.
func sessionOf(t *testing.T, s *Store, id string) bool {
	t.Helper()
	_, found, err := s.AdminSession(context.Background(), hash(id), now)
	must(t, "AdminSession", err)
	return found
}

var adminRoleTests = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"users are added with a role and keep it", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "SetAdminUser", e.s.SetAdminUser(ctx, scopes.AdminUser{Name: "admin", PasswordHash: "h1"}))
		must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "olga", PasswordHash: "h2", Role: scopes.RoleOperator, Created: now}))
		must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "bob", PasswordHash: "h3"}))
		if got := fmt.Sprint(roles(t, e.s)); got != "map[admin:administrator bob:administrator olga:operator]" {
			t.Errorf("roles %s", got)
		}
		err := e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "olga", PasswordHash: "h4"})
		wantCode(t, "AddAdminUser twice", err, scopes.EConflict)
		if !strings.Contains(scopes.ErrorMessage(err), "olga") {
			t.Errorf("message %q", scopes.ErrorMessage(err))
		}
		wantCode(t, "AddAdminUser with a bad role", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "x", PasswordHash: "h", Role: "root"}), scopes.EInvalid)
		wantCode(t, "AddAdminUser without a hash", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "x"}), scopes.EInvalid)
		wantCode(t, "AddAdminUser with a bad name", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: " x", PasswordHash: "h"}), scopes.EInvalid)
		// Replacing a password keeps the role.
		must(t, "SetAdminUser", e.s.SetAdminUser(ctx, scopes.AdminUser{Name: "olga", PasswordHash: "h5"}))
		u, found, err := e.s.AdminUser(ctx, "olga")
		if err != nil || !found || u.Role != scopes.RoleOperator || u.PasswordHash != "h5" || !u.Created.Equal(dbTime(now)) {
			t.Errorf("olga after SetAdminUser: %+v, %v, %v", u, found, err)
		}
		if !u.LastLogin.IsZero() {
			t.Errorf("a user who never logged in has a last login: %v", u.LastLogin)
		}
	}},

	{"a login is recorded as the last login", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "olga", PasswordHash: "h", Role: scopes.RoleOperator}))
		before := time.Now().Add(-time.Second)
		must(t, "CreateAdminSession", e.s.CreateAdminSession(ctx, hash("s1"), "olga", time.Now().Add(time.Hour)))
		u, _, err := e.s.AdminUser(ctx, "olga")
		must(t, "AdminUser", err)
		if u.LastLogin.Before(before) || u.LastLogin.After(time.Now().Add(time.Second)) || u.LastLogin.Location() != time.UTC {
			t.Errorf("LastLogin = %v, want about now in UTC", u.LastLogin)
		}
		// A session of a user without a row (SCOPESTORE_ADMIN_PASSWORD's
		// admin before its row is made) is stored all the same.
		must(t, "CreateAdminSession without a user row", e.s.CreateAdminSession(ctx, hash("s2"), "ghost", time.Now().Add(time.Hour)))
	}},

	{"roles change, never leaving no administrator", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "admin", PasswordHash: "h"}))
		must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "olga", PasswordHash: "h", Role: scopes.RoleOperator}))
		err := e.s.SetAdminRole(ctx, "admin", scopes.RoleOperator)
		wantCode(t, "demote the last administrator", err, scopes.EConflict)
		if !errors.Is(err, scopes.ErrLastAdministrator) || !strings.Contains(scopes.ErrorMessage(err), "admin is the last administrator") {
			t.Errorf("refusal %v", err)
		}
		// Setting an operator's role to operator again changes nothing and is no refusal.
		must(t, "SetAdminRole operator again", e.s.SetAdminRole(ctx, "olga", scopes.RoleOperator))
		must(t, "promote olga", e.s.SetAdminRole(ctx, "olga", scopes.RoleAdministrator))
		must(t, "demote admin", e.s.SetAdminRole(ctx, "admin", scopes.RoleOperator))
		if got := fmt.Sprint(roles(t, e.s)); got != "map[admin:operator olga:administrator]" {
			t.Errorf("roles %s", got)
		}
		wantCode(t, "SetAdminRole of nobody", e.s.SetAdminRole(ctx, "nobody", scopes.RoleOperator), scopes.ENotFound)
		wantCode(t, "SetAdminRole with a bad role", e.s.SetAdminRole(ctx, "olga", "Administrator"), scopes.EInvalid)
		wantCode(t, "SetAdminRole of a bad name", e.s.SetAdminRole(ctx, "olga ", scopes.RoleOperator), scopes.ENotFound)
	}},

	{"deleting a user ends its sessions and keeps the last administrator", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "admin", PasswordHash: "h"}))
		must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "olga", PasswordHash: "h", Role: scopes.RoleOperator}))
		for _, s := range []string{"admin-1", "olga-1", "olga-2"} {
			user, _, _ := strings.Cut(s, "-")
			must(t, "CreateAdminSession", e.s.CreateAdminSession(ctx, hash(s), user, now.Add(time.Hour)))
		}
		err := e.s.DeleteAdminUser(ctx, "admin")
		wantCode(t, "delete the last administrator", err, scopes.EConflict)
		if !errors.Is(err, scopes.ErrLastAdministrator) || !sessionOf(t, e.s, "admin-1") {
			t.Errorf("refusal %v; admin's session kept: %v", err, sessionOf(t, e.s, "admin-1"))
		}
		must(t, "delete olga", e.s.DeleteAdminUser(ctx, "olga"))
		if sessionOf(t, e.s, "olga-1") || sessionOf(t, e.s, "olga-2") || !sessionOf(t, e.s, "admin-1") {
			t.Error("deleting olga did not end her sessions alone")
		}
		if _, found, _ := e.s.AdminUser(ctx, "olga"); found {
			t.Error("olga is still there")
		}
		wantCode(t, "delete olga again", e.s.DeleteAdminUser(ctx, "olga"), scopes.ENotFound)
		// With a second administrator, the first may go.
		must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "bob", PasswordHash: "h"}))
		must(t, "delete admin", e.s.DeleteAdminUser(ctx, "admin"))
		if got := fmt.Sprint(roles(t, e.s)); got != "map[bob:administrator]" {
			t.Errorf("roles %s", got)
		}
	}},

	{"a new password ends the user's other sessions", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "admin", PasswordHash: "old"}))
		must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: "bob", PasswordHash: "old"}))
		for _, s := range []string{"admin-1", "admin-2", "admin-3", "bob-1"} {
			user, _, _ := strings.Cut(s, "-")
			must(t, "CreateAdminSession", e.s.CreateAdminSession(ctx, hash(s), user, now.Add(time.Hour)))
		}
		must(t, "SetAdminPassword keeping one", e.s.SetAdminPassword(ctx, "admin", "new", strings.ToUpper(hash("admin-2")), false))
		if u, _, _ := e.s.AdminUser(ctx, "admin"); u.PasswordHash != "new" {
			t.Errorf("hash %q", u.PasswordHash)
		}
		if sessionOf(t, e.s, "admin-1") || !sessionOf(t, e.s, "admin-2") || sessionOf(t, e.s, "admin-3") || !sessionOf(t, e.s, "bob-1") {
			t.Error("wrong sessions ended")
		}
		must(t, "SetAdminPassword keeping none", e.s.SetAdminPassword(ctx, "admin", "newer", "", false))
		if sessionOf(t, e.s, "admin-2") || !sessionOf(t, e.s, "bob-1") {
			t.Error("a password set by another left the user's session open, or ended another user's")
		}
		// A keep that names another user's session keeps nothing of this user's, and ends nothing else.
		must(t, "SetAdminPassword", e.s.SetAdminPassword(ctx, "bob", "new", hash("admin-2"), false))
		if sessionOf(t, e.s, "bob-1") {
			t.Error("bob's session outlived his new password")
		}
		wantCode(t, "SetAdminPassword of nobody", e.s.SetAdminPassword(ctx, "nobody", "h", "", false), scopes.ENotFound)
		wantCode(t, "SetAdminPassword without a hash", e.s.SetAdminPassword(ctx, "admin", "", "", false), scopes.EInvalid)
		if u, _, _ := e.s.AdminUser(ctx, "admin"); u.PasswordHash != "newer" {
			t.Errorf("a refused change replaced the hash: %q", u.PasswordHash)
		}
	}},

	{"two administrators deleting each other at once leave one", func(t *testing.T, e *env) {
		ctx := context.Background()
		other := e.open(t, testKey)
		for round := range 5 {
			a, b := fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round)
			for _, name := range []string{a, b} {
				must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: name, PasswordHash: "h"}))
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			wg.Go(func() { errs[0] = e.s.DeleteAdminUser(ctx, a) })
			wg.Go(func() {
				if round%2 == 0 {
					errs[1] = other.DeleteAdminUser(ctx, b)
				} else {
					errs[1] = other.SetAdminRole(ctx, b, scopes.RoleOperator)
				}
			})
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("round %d: both changes answered alike: %v, %v", round, errs[0], errs[1])
			}
			for _, err := range errs {
				if err != nil && !errors.Is(err, scopes.ErrLastAdministrator) {
					t.Errorf("round %d: %v", round, err)
				}
			}
			admins := 0
			for _, role := range roles(t, e.s) {
				if role == scopes.RoleAdministrator {
					admins++
				}
			}
			if admins != 1 {
				t.Fatalf("round %d: %d administrators, want 1: %v", round, admins, roles(t, e.s))
			}
			// Start the next round with no administrator left over: make
			// the survivor an operator through the back door.
			_, err := e.s.db.ExecContext(ctx, e.s.q(`UPDATE admin_users SET role = 'operator'`))
			must(t, "reset roles", err)
		}
	}},
}

// migrationVersion is the version of the config migration whose file name
// ends with suffix.
func migrationVersion(t *testing.T, dialect, suffix string) int64 {
	t.Helper()
	fsys, err := migrations.ConfigFS(dialect)
	must(t, "ConfigFS", err)
	names, err := fs.Glob(fsys, "*_"+suffix)
	if err != nil || len(names) != 1 {
		t.Fatalf("the migration *_%s: %v, %v", suffix, names, err)
	}
	v, err := strconv.ParseInt(strings.SplitN(names[0], "_", 2)[0], 10, 64)
	must(t, "its version", err)
	return v
}

// TestAdminRolesMigrate checks on every dialect that the administrator an
// older version stored stays an administrator after the migration that adds
// roles, with its password and no last login.
func TestAdminRolesMigrate(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn, dir := b.dsn(t), t.TempDir()
			var db *sqlx.DB
			var err error
			dialect, gooseDialect := DialectSQLite, goose.DialectSQLite3
			switch {
			case dsn == "":
				db, err = openSQLite(filepath.Join(dir, FileName))
			case strings.HasPrefix(dsn, "mysql://"):
				dialect, gooseDialect = DialectMySQL, goose.DialectMySQL
				db, err = openMySQL(strings.TrimPrefix(dsn, "mysql://"))
			default:
				dialect, gooseDialect = DialectPostgres, goose.DialectPostgres
				db, err = sqlx.Open("pgx", dsn)
			}
			must(t, "open", err)
			fsys, err := migrations.ConfigFS(dialect)
			must(t, "ConfigFS", err)
			p, err := goose.NewProvider(gooseDialect, db.DB, fsys,
				goose.WithTableName(migrations.ConfigVersionTable), goose.WithDisableGlobalRegistry(true))
			must(t, "NewProvider", err)
			_, err = p.UpTo(ctx, migrationVersion(t, dialect, "admin_roles.sql")-1)
			must(t, "migrate to the version before roles", err)
			old := &Store{db: db, dialect: dialect, bind: sqlx.QUESTION}
			if dialect == DialectPostgres {
				old.bind = sqlx.DOLLAR
			}
			_, err = db.ExecContext(ctx, old.q(`INSERT INTO admin_users (name, password_hash, created_at) VALUES (?, ?, ?)`), "admin", "$2a$old", dbTime(now))
			must(t, "insert the old administrator", err)
			must(t, "close", db.Close())

			s := mustOpen(t, dsn, dir, testKey)
			u, found, err := s.AdminUser(ctx, "admin")
			if err != nil || !found || u.Role != scopes.RoleAdministrator || u.PasswordHash != "$2a$old" ||
				!u.Created.Equal(dbTime(now)) || !u.LastLogin.IsZero() {
				t.Fatalf("admin after the migration: %+v, %v, %v", u, found, err)
			}
			// The database refuses a role the code would not write.
			_, err = s.db.ExecContext(ctx, s.q(`UPDATE admin_users SET role = ? WHERE name = ?`), "root", "admin")
			if err == nil {
				t.Error("the database stored the role root")
			}
			err = s.DeleteAdminUser(ctx, "admin")
			if !errors.Is(err, scopes.ErrLastAdministrator) {
				t.Errorf("the migrated administrator is not counted as one: %v", err)
			}
		})
	}
}
