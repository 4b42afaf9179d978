package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
)

// openConfig opens the data directory's config store for a test to look into.
func openConfig(t *testing.T, dir string) *configstore.Store {
	t.Helper()
	cs, err := configstore.Open(context.Background(), "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// passwordOf tells whether password is the user's.
func passwordOf(t *testing.T, dir, user, password string) bool {
	t.Helper()
	u, found, err := openConfig(t, dir).AdminUser(context.Background(), user)
	if err != nil || !found {
		t.Fatalf("user %s: %v, %v", user, found, err)
	}
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
}

// openSession opens a console session of user, as a login does.
func openSession(t *testing.T, dir, user, id string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(id))
	h := hex.EncodeToString(sum[:])
	if err := openConfig(t, dir).CreateAdminSession(context.Background(), h, user, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return h
}

func sessionOpen(t *testing.T, dir, h string) bool {
	t.Helper()
	_, found, err := openConfig(t, dir).AdminSession(context.Background(), h, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestCLI_AdminUsers(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := cli(t, dir, "", "admin", "user", "list")
	if code != exitOK || !strings.HasPrefix(out, "NAME") || !strings.Contains(errOut, "No user yet") {
		t.Fatalf("list of none: exit %d, %q, %q", code, out, errOut)
	}

	code, out, errOut = cli(t, dir, "", "admin", "user", "add", "root", "--role", "administrator")
	rootPassword := strings.TrimSpace(out)
	if code != exitOK || len(rootPassword) < 12 || strings.Contains(rootPassword, "\n") || !strings.Contains(errOut, "shown once") {
		t.Fatalf("add must print the password alone on stdout: exit %d, %q, %s", code, out, errOut)
	}
	if !passwordOf(t, dir, "root", rootPassword) {
		t.Error("the printed password is not root's")
	}
	code, out, _ = cli(t, dir, "", "admin", "user", "add", "olga")
	if code != exitOK {
		t.Fatalf("add olga: exit %d", code)
	}
	olgaPassword := strings.TrimSpace(out)

	code, out, _ = cli(t, dir, "", "admin", "user", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 3 || !strings.Contains(lines[0], "LAST LOGIN") {
		t.Fatalf("list: exit %d:\n%s", code, out)
	}
	if f := strings.Fields(lines[1]); f[0] != "olga" || f[1] != "operator" || f[3] != "never" {
		t.Errorf("olga's row (an operator by default): %q", lines[1])
	}
	if f := strings.Fields(lines[2]); f[0] != "root" || f[1] != "administrator" {
		t.Errorf("root's row: %q", lines[2])
	}
	if strings.Contains(out, rootPassword) || strings.Contains(out, olgaPassword) || strings.Contains(out, "$2") {
		t.Error("the list shows a password or a hash")
	}

	for _, c := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"the same name", []string{"admin", "user", "add", "olga"}, exitConflict, "already"},
		{"a bad name", []string{"admin", "user", "add", "olga k"}, exitUsage, "Try 'scopestore admin user add --help'"},
		{"a bad role", []string{"admin", "user", "add", "bob", "--role", "root"}, exitUsage, "is not a role"},
		{"no name", []string{"admin", "user", "add"}, exitUsage, "missing user name"},
		{"a role for nobody", []string{"admin", "user", "role", "nobody", "operator"}, exitNotFound, "'scopestore admin user list' lists the users"},
		{"an unknown role", []string{"admin", "user", "role", "olga", "superuser"}, exitUsage, "is not a role"},
		{"demote the last administrator", []string{"admin", "user", "role", "root", "operator"}, exitConflict, "last administrator"},
		{"delete the last administrator", []string{"admin", "user", "delete", "root"}, exitConflict, "'scopestore admin user role NAME administrator'"},
		{"delete nobody", []string{"admin", "user", "delete", "nobody"}, exitNotFound, "there is no user nobody"},
		{"a password flag", []string{"admin", "passwd", "olga", "--password", "x"}, exitUsage, "unknown flag --password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := cli(t, dir, "", c.args...)
			if code != c.code || !strings.Contains(errOut, c.says) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("exit %d, want %d; stderr %q, want one line with %q", code, c.code, errOut, c.says)
			}
			if !strings.HasPrefix(errOut, "scopestore: admin ") {
				t.Errorf("the error line does not name the command: %q", errOut)
			}
		})
	}

	// olga becomes an administrator; then root may go.
	session := openSession(t, dir, "root", "root's browser")
	if code, _, errOut := cli(t, dir, "", "admin", "user", "role", "olga", "administrator"); code != exitOK || !strings.Contains(errOut, "olga is an administrator now") {
		t.Fatalf("role: exit %d: %s", code, errOut)
	}
	if code, _, errOut := cli(t, dir, "", "admin", "user", "delete", "root"); code != exitOK || !strings.Contains(errOut, "Deleted user root") {
		t.Fatalf("delete: exit %d: %s", code, errOut)
	}
	if sessionOpen(t, dir, session) {
		t.Error("root's console session outlived root")
	}
	entries, err := openConfig(t, dir).AuditQuery(context.Background(), scopes.AuditQuery{AuditFilter: scopes.AuditFilter{Action: "admin.user."}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries.Entries {
		if !strings.HasPrefix(e.Actor, "cli:") {
			t.Errorf("actor %q, want cli:USER", e.Actor)
		}
		actions = append(actions, e.Action+" "+e.Target)
	}
	if got := strings.Join(actions, ", "); got != "admin.user.delete root, admin.user.role olga, admin.user.add olga, admin.user.add root" {
		t.Errorf("audit: %s", got)
	}
}

func TestCLI_AdminPasswd(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := cli(t, dir, "", "admin", "user", "add", "admin", "--role", "administrator"); code != exitOK {
		t.Fatal(errOut)
	}
	// A generated password is to be changed at the first login.
	if u, _, err := openConfig(t, dir).AdminUser(context.Background(), "admin"); err != nil || !u.MustChangePassword {
		t.Fatalf("admin after 'admin user add': %+v, %v", u, err)
	}
	s1, s2 := openSession(t, dir, "admin", "laptop"), openSession(t, dir, "admin", "phone")

	for _, c := range []struct {
		name, stdin string
		code        int
		says        string
	}{
		{"nothing on stdin", "", exitUsage, "no password on standard input"},
		{"too short", "short one\n", exitUsage, "shorter than 12 characters"},
		{"too long for bcrypt", strings.Repeat("x", 73) + "\n", exitUsage, "longer than 72 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := cli(t, dir, c.stdin, "admin", "passwd", "admin")
			if code != c.code || !strings.Contains(errOut, c.says) {
				t.Errorf("exit %d, want %d: %q", code, c.code, errOut)
			}
		})
	}
	if !sessionOpen(t, dir, s1) {
		t.Fatal("a refused passwd ended a session")
	}

	// Not a terminal: the first line of stdin, its line ending dropped.
	const fresh = "a lost password replaced"
	code, out, errOut := cli(t, dir, fresh+"\r\nignored second line\n", "admin", "passwd", "admin")
	if code != exitOK || out != "" || !strings.Contains(errOut, "sessions ended") {
		t.Fatalf("passwd: exit %d, %q, %q", code, out, errOut)
	}
	if !passwordOf(t, dir, "admin", fresh) {
		t.Error("the new password is not admin's")
	}
	// A typed password is not to be changed.
	if u, _, err := openConfig(t, dir).AdminUser(context.Background(), "admin"); err != nil || u.MustChangePassword {
		t.Errorf("admin after 'admin passwd': must change %v, %v", u.MustChangePassword, err)
	}
	if sessionOpen(t, dir, s1) || sessionOpen(t, dir, s2) {
		t.Error("admin's console sessions outlived the new password")
	}
	entries, err := openConfig(t, dir).AuditQuery(context.Background(), scopes.AuditQuery{AuditFilter: scopes.AuditFilter{Action: "admin.passwd"}, Limit: 10})
	if err != nil || len(entries.Entries) != 1 {
		t.Fatalf("audit: %+v, %v", entries, err)
	}
	if e := entries.Entries[0]; !strings.HasPrefix(e.Actor, "cli:") || e.Target != "admin" || strings.Contains(e.Detail, fresh) {
		t.Errorf("audit %+v", e)
	}

	code, _, errOut = cli(t, dir, fresh+"\n", "admin", "passwd", "olga")
	if code != exitNotFound || !strings.Contains(errOut, "there is no user olga: 'scopestore admin user list' lists the users") {
		t.Errorf("passwd of nobody: exit %d: %q", code, errOut)
	}
}

func TestCLI_AdminHelp(t *testing.T) {
	code, out, _ := cli(t, t.TempDir(), "", "admin", "user", "add", "--help")
	flags, globals := strings.Index(out, "--role"), strings.Index(out, "Global flags")
	if code != exitOK || flags < 0 || globals < flags {
		t.Errorf("help must list --role before the global flags: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, t.TempDir(), "", "admin", "--help")
	if code != exitOK || !strings.Contains(out, "passwd") || !strings.Contains(out, "user") {
		t.Errorf("admin --help:\n%s", out)
	}
	code, out, _ = cli(t, t.TempDir(), "", "admin", "passwd", "--help")
	if code != exitOK || !strings.Contains(out, "never from a flag") {
		t.Errorf("admin passwd --help:\n%s", out)
	}
}
