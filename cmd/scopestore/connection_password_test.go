package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
)

// cliPassword holds '@' and ':', which broke the split of a MySQL DSN.
const cliPassword = "Kp7@w:Rt"

// showsCLIPassword tells which part of cliPassword s shows, "" for none.
func showsCLIPassword(s string) string {
	for _, f := range []string{cliPassword, url.QueryEscape(cliPassword), "Kp7", "w:Rt"} {
		if strings.Contains(s, f) {
			return f
		}
	}
	return ""
}

// Every connection type, its password given every way the command line
// takes it: connection list shows "password=(set)" and never the password,
// and a password given twice, differently, is refused without showing it.
func TestCLI_ConnectionPasswordsNeverShown(t *testing.T) {
	dir := t.TempDir()
	esc := url.QueryEscape(cliPassword)
	userinfo := url.UserPassword("app", cliPassword).String()
	creates := [][]string{
		{"--type", "redis", "--url", "redis://:" + url.PathEscape(cliPassword) + "@127.0.0.1:1/0"},
		{"--type", "redis", "--url", "redis://127.0.0.1:1/0?password=" + esc},
		{"--type", "redis", "--host", "127.0.0.1", "--port", "1", "--password", cliPassword},
		{"--type", "mysql", "--dsn", "app:" + cliPassword + "@tcp(127.0.0.1:1)/db"},
		{"--type", "mysql", "--dsn", "app@tcp(127.0.0.1:1)/db?password=" + esc},
		{"--type", "mysql", "--host", "127.0.0.1", "--port", "1", "--database", "db", "--password", cliPassword},
		{"--type", "postgres", "--url", "postgres://" + userinfo + "@127.0.0.1:1/db"},
		{"--type", "postgres", "--url", "postgres://app@127.0.0.1:1/db?password=" + esc},
		{"--type", "postgres", "--url", "host=127.0.0.1 port=1 dbname=db password='" + cliPassword + "'"},
		{"--type", "couchbase", "--url", "couchbase://" + userinfo + "@127.0.0.1", "--bucket", "b"},
		{"--type", "memcached", "--servers", "127.0.0.1:1", "--password", cliPassword},
		{"--type", "sqlite", "--file", filepath.Join(dir, "s.db"), "--password", cliPassword},
		{"--type", "ram", "--password", cliPassword},
	}
	for i, args := range creates {
		name := "c" + string(rune('a'+i))
		code, out, errOut := cli(t, dir, "", append([]string{"connection", "create", "--name", name, "--no-verify"}, args...)...)
		if code != exitOK {
			t.Fatalf("create %v: exit %d: %s", args, code, errOut)
		}
		if f := showsCLIPassword(out + errOut); f != "" {
			t.Errorf("create %v shows %q: %s%s", args, f, out, errOut)
		}
	}
	out := mustCLI(t, dir, "connection", "list")
	if f := showsCLIPassword(out); f != "" {
		t.Errorf("connection list shows %q:\n%s", f, out)
	}
	if n := strings.Count(out, "password=(set)"); n != len(creates) {
		t.Errorf("connection list shows %d stored passwords, want %d:\n%s", n, len(creates), out)
	}

	// Given twice, differently: refused, neither shown.
	code, out, errOut := cli(t, dir, "", "connection", "create", "--name", "twice", "--type", "mysql", "--no-verify",
		"--dsn", "app:"+cliPassword+"@tcp(127.0.0.1:1)/db", "--password", "Other-pw-3")
	if code == exitOK || !strings.Contains(errOut, "give the password once") ||
		showsCLIPassword(out+errOut) != "" || strings.Contains(out+errOut, "Other-pw-3") {
		t.Errorf("two passwords: exit %d: %s%s", code, out, errOut)
	}
	// An edit that writes a new password into the url replaces the stored one.
	mustCLI(t, dir, "connection", "edit", "ca", "--url", "redis://:New-pw-4@127.0.0.1:1/0")
	if out := mustCLI(t, dir, "connection", "list"); strings.Contains(out, "New-pw-4") {
		t.Errorf("connection list after the edit:\n%s", out)
	}
}

// A password that an older version kept inside a dsn is moved to the
// encrypted password by the first command that opens the config store.
func TestCLI_OlderPasswordsInDSNAreMoved(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, dir, "app", "list") // creates the config store and its secret key
	b, err := os.ReadFile(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cs, err := configstore.Open(ctx, "", dir, key)
	if err != nil {
		t.Fatal(err)
	}
	// As an older version stored it: the password left in the dsn.
	err = cs.CreateConnection(ctx, scopes.Connection{Name: "legacy", Kind: "datasource", Type: "mysql",
		Params: map[string]string{"dsn": "app:" + cliPassword + "@tcp(127.0.0.1:1)/db"}})
	if cerr := cs.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}

	out := mustCLI(t, dir, "connection", "list")
	if f := showsCLIPassword(out); f != "" || !strings.Contains(out, "dsn=app@tcp(127.0.0.1:1)/db") || !strings.Contains(out, "password=(set)") {
		t.Errorf("connection list shows %q:\n%s", f, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, configstore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var params string
	var secret []byte
	if err := db.QueryRow(`SELECT params, secret FROM connections WHERE name_key = 'legacy'`).Scan(&params, &secret); err != nil {
		t.Fatal(err)
	}
	if f := showsCLIPassword(params + string(secret)); f != "" || len(secret) == 0 {
		t.Errorf("the stored row shows %q or has no sealed password: %s", f, params)
	}
}
