package connections

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
)

// testPassword holds the characters that broke the split of a DSN at its
// first '@', and those a URL must escape.
const testPassword = "Zq9@k:Xv/1?#"

// passwordFragments are parts of testPassword that no page may show either,
// as a split at the wrong '@' or ':' would.
var passwordFragments = []string{testPassword, "Zq9@", "k:Xv", "Xv/1"}

// passwordWays are the ways of giving a connection of each type its
// password: written into its url or dsn, or apart. Every type the registry
// knows is listed, those that take no url or dsn with the password apart.
func passwordWays(dir string) map[string][]scopes.Connection {
	esc := url.QueryEscape(testPassword)
	userinfo := url.UserPassword("app", testPassword).String()
	return map[string][]scopes.Connection{
		"redis": {
			{Params: map[string]string{"url": "redis://:" + url.PathEscape(testPassword) + "@127.0.0.1:1/0"}},
			{Params: map[string]string{"url": "redis://" + userinfo + "@127.0.0.1:1/0"}},
			{Params: map[string]string{"url": "redis://127.0.0.1:1/0?password=" + esc}},
			{Params: map[string]string{"host": "127.0.0.1", "port": "1"}, Secret: testPassword},
		},
		"mysql": {
			{Params: map[string]string{"dsn": "app:" + testPassword + "@tcp(127.0.0.1:1)/db"}},
			{Params: map[string]string{"dsn": "mysql://app:" + testPassword + "@tcp(127.0.0.1:1)/db"}},
			{Params: map[string]string{"dsn": "app@tcp(127.0.0.1:1)/db?password=" + esc}},
			{Params: map[string]string{"host": "127.0.0.1", "port": "1", "database": "db"}, Secret: testPassword},
		},
		"postgres": {
			{Params: map[string]string{"url": "postgres://" + userinfo + "@127.0.0.1:1/db"}},
			{Params: map[string]string{"url": "postgres://app@127.0.0.1:1/db?password=" + esc}},
			{Params: map[string]string{"url": "host=127.0.0.1 port=1 user=app dbname=db password='" + testPassword + "'"}},
			{Params: map[string]string{"host": "127.0.0.1", "port": "1", "database": "db"}, Secret: testPassword},
		},
		"couchbase": {
			{Params: map[string]string{"url": "couchbase://" + userinfo + "@127.0.0.1", "bucket": "b"}},
			{Params: map[string]string{"url": "couchbase://127.0.0.1", "bucket": "b"}, Secret: testPassword},
		},
		"couchdb": {
			{Params: map[string]string{"url": "http://" + userinfo + "@127.0.0.1:1/sessions"}},
			{Params: map[string]string{"url": "http://127.0.0.1:1/sessions", "username": "app"}, Secret: testPassword},
		},
		"memcached": {{Params: map[string]string{"servers": "127.0.0.1:1"}, Secret: testPassword}},
		"sqlite":    {{Params: map[string]string{"file": filepath.Join(dir, "s.db")}, Secret: testPassword}},
		"ram":       {{Params: map[string]string{}, Secret: testPassword}},
	}
}

// escapedPasswords are testPassword as the test's urls write it.
func escapedPasswords() []string {
	return []string{url.QueryEscape(testPassword), url.PathEscape(testPassword),
		strings.TrimPrefix(url.UserPassword("", testPassword).String(), ":")}
}

// showsPassword tells which part of the test password s shows, "" for none.
func showsPassword(s string) string {
	for _, f := range append(passwordFragments, escapedPasswords()...) {
		if strings.Contains(s, f) {
			return f
		}
	}
	return ""
}

// openManagerIn is a Manager over a fresh SQLite config store in dir, and
// the config database itself, to read its rows as they are stored.
func openManagerIn(t *testing.T, dir string) (*Manager, *configstore.Store, *sql.DB) {
	t.Helper()
	cs, err := configstore.Open(context.Background(), "", dir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(dir, cs)
	raw, err := sql.Open("sqlite", filepath.Join(dir, configstore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close(); _ = reg.Close(); _ = cs.Close() })
	m := NewManager(cs, reg, scopes.NewDirectory(cs, reg))
	m.Auditor = cs
	return m, cs, raw
}

// checkRow fails when a connection's stored row holds the password in
// clear, or does not hold it sealed.
func checkRow(t *testing.T, raw *sql.DB, cs *configstore.Store, name string) {
	t.Helper()
	var params string
	var secret []byte
	if err := raw.QueryRow(`SELECT params, secret FROM connections WHERE name_key = ?`, strings.ToLower(name)).Scan(&params, &secret); err != nil {
		t.Fatal(err)
	}
	if f := showsPassword(params + string(secret)); f != "" {
		t.Errorf("%s: the stored row shows %q: params %s", name, f, params)
	}
	if len(secret) == 0 {
		t.Errorf("%s: no sealed password is stored", name)
	}
	c, _, err := cs.Connection(context.Background(), name)
	if err != nil || c.Secret != testPassword {
		t.Errorf("%s: the stored password opens as %q, %v", name, c.Secret, err)
	}
}

// checkShown fails when the manager hands out a password.
func checkShown(t *testing.T, m *Manager, name string) {
	t.Helper()
	ctx := context.Background()
	c, err := m.Connection(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if f := showsPassword(fmt.Sprintf("%+v", c)); f != "" || c.Secret != "" || !c.HasSecret {
		t.Errorf("%s: Connection shows %q, or no HasSecret: %+v", name, f, c)
	}
	conns, err := m.Connections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f := showsPassword(fmt.Sprintf("%+v", conns)); f != "" {
		t.Errorf("Connections shows %q", f)
	}
}

// Every type the registry knows, with its password given every way it may
// be: the config store keeps it sealed only, the url or dsn without it,
// and no list, edit or audit entry shows it.
func TestPasswordsAreSealedForEveryType(t *testing.T) {
	dir := t.TempDir()
	m, cs, raw := openManagerIn(t, dir)
	ctx := context.Background()
	ways := passwordWays(dir)
	for _, typ := range Types() {
		if len(ways[typ]) == 0 {
			t.Errorf("type %s has no way of giving a password in this test", typ)
		}
		for i, def := range ways[typ] {
			def.Name, def.Type = fmt.Sprintf("%s-%d", typ, i), typ
			given := maps.Clone(def.Params)
			if err := m.Create(ctx, def); err != nil {
				t.Errorf("create %s: %v", def.Name, err)
				continue
			}
			checkRow(t, raw, cs, def.Name)
			checkShown(t, m, def.Name)

			// An edit that leaves the password out keeps it; one that
			// writes a new one into the url or dsn replaces it.
			c, err := m.Connection(ctx, def.Name)
			if err != nil {
				t.Fatal(err)
			}
			c.Storage = !c.Storage
			if err := m.Update(ctx, c, true); err != nil {
				t.Errorf("edit %s: %v", def.Name, err)
			}
			checkRow(t, raw, cs, def.Name)
			param := passwordParams[typ]
			if in := given[param]; in != "" && def.Secret == "" {
				c.Params[param] = in
				for _, p := range append(escapedPasswords(), testPassword) {
					c.Params[param] = strings.Replace(c.Params[param], p, "New-pw-1", 1)
				}
				if err := m.Update(ctx, c, true); err != nil {
					t.Errorf("edit %s with a new password in its %s: %v", def.Name, param, err)
				}
				if got, _, _ := cs.Connection(ctx, def.Name); got.Secret != "New-pw-1" || strings.Contains(got.Params[param], "New-pw-1") {
					t.Errorf("%s: after the edit: %s %q, password %q", def.Name, param, got.Params[param], got.Secret)
				}
				// Given again, differently, apart: refused, quoting neither.
				c.Params[param] = in
				c.Secret = "Other-pw-2"
				err := m.Update(ctx, c, false)
				if scopes.ErrorCode(err) != scopes.EInvalid || showsPassword(scopes.ErrorMessage(err)) != "" ||
					strings.Contains(scopes.ErrorMessage(err), "Other-pw-2") {
					t.Errorf("%s: two passwords: %v", def.Name, err)
				}
			}
		}
	}
	entries, err := cs.Audit(ctx, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 20 {
		t.Errorf("only %d audit entries", len(entries))
	}
	for _, e := range entries {
		if f := showsPassword(e.Detail); f != "" || strings.Contains(e.Detail, "New-pw-1") {
			t.Errorf("audit entry %s %s shows a password: %s", e.Action, e.Target, e.Detail)
		}
	}
}

// Rows that an older version wrote, with the password inside the url or
// dsn, are moved to the sealed password when the config store opens (cmd
// runs MovePasswords), once; the connection keeps its password.
func TestMovePasswordsOfOlderRows(t *testing.T) {
	dir := t.TempDir()
	m, cs, raw := openManagerIn(t, dir)
	ctx := context.Background()
	var names []string
	for _, typ := range []string{"redis", "mysql", "postgres", "couchbase"} {
		for i, def := range passwordWays(dir)[typ] {
			if def.Secret != "" {
				continue
			}
			def.Name, def.Type, def.Kind = fmt.Sprintf("old-%s-%d", typ, i), typ, KindOf(typ)
			// As an older version stored it: params as given, no secret.
			if err := cs.CreateConnection(ctx, def); err != nil {
				t.Fatal(err)
			}
			names = append(names, def.Name)
			// Before they move, the manager shows none of them already.
			checkShown(t, m, def.Name)
		}
	}
	// A mysql row whose dsn also had a password apart: the dsn's won.
	if err := cs.CreateConnection(ctx, scopes.Connection{Name: "old-both", Type: "mysql", Kind: KindDatasource, Secret: "apart-pw",
		Params: map[string]string{"dsn": "app:" + testPassword + "@tcp(127.0.0.1:1)/db"}}); err != nil {
		t.Fatal(err)
	}
	names = append(names, "old-both")
	n, err := cs.MovePasswords(ctx, StoredPassword)
	if err != nil || n != len(names) {
		t.Fatalf("MovePasswords moved %d of %d: %v", n, len(names), err)
	}
	for _, name := range names {
		checkRow(t, raw, cs, name)
	}
	if n, err := cs.MovePasswords(ctx, StoredPassword); err != nil || n != 0 {
		t.Errorf("MovePasswords again moved %d: %v", n, err)
	}
}
