package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/connections/conntest"
)

// cli runs one command line in process with its own data directory and
// returns the exit code, stdout and stderr.
func cli(t *testing.T, dataDir string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(name string) string {
		if name == "SCOPESTORE_DATA_DIR" {
			return dataDir
		}
		return ""
	}
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, getenv)
	return code, out.String(), errOut.String()
}

func TestCLI_AppLifecycle(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := cli(t, dir, "", "app", "create", "shop")
	if code != exitOK {
		t.Fatalf("app create: exit %d: %s", code, errOut)
	}
	key := strings.TrimSpace(out)
	if !strings.HasPrefix(key, "ssk_") || strings.Contains(key, "\n") || strings.Contains(out, "Created") {
		t.Fatalf("app create must print the key alone on stdout, got %q", out)
	}

	code, out, _ = cli(t, dir, "", "app", "list")
	if code != exitOK || !strings.Contains(out, "shop") {
		t.Fatalf("app list: exit %d: %s", code, out)
	}

	code, out, _ = cli(t, dir, "", "app", "key", "rotate", "shop")
	if code != exitOK || strings.TrimSpace(out) == key || !strings.HasPrefix(out, "ssk_") {
		t.Fatalf("key rotate: exit %d: %q", code, out)
	}

	code, out, errOut = cli(t, dir, "", "app", "settings", "shop", "--session-timeout", "2h", "--client-storage", "RAM")
	if code != exitOK {
		t.Fatalf("app settings: exit %d: %s", code, errOut)
	}
	if !hasRow(out, "sessionTimeout", "2h set by an administrator") || !hasRow(out, "clientStorage", "memory set by an administrator") ||
		!hasRow(out, "sessionStorage", "memory built-in default") {
		t.Fatalf("app settings output:\n%s", out)
	}
	code, out, _ = cli(t, dir, "", "app", "settings", "shop", "--client-storage", "inherit")
	if code != exitOK || !hasRow(out, "clientStorage", "file built-in default") {
		t.Fatalf("inherit: exit %d:\n%s", code, out)
	}

	code, out, _ = cli(t, dir, "", "scope", "defaults", "--session-storage", "file")
	if code != exitOK || !hasRow(out, "sessionStorage", "file server default") {
		t.Fatalf("scope defaults: exit %d:\n%s", code, out)
	}
	code, out, _ = cli(t, dir, "", "app", "settings", "shop")
	if code != exitOK || !hasRow(out, "sessionStorage", "file server default") {
		t.Fatalf("the app does not inherit the server default: exit %d:\n%s", code, out)
	}

	code, _, errOut = cli(t, dir, "", "app", "delete", "shop")
	if code != exitOK {
		t.Fatalf("app delete: exit %d: %s", code, errOut)
	}
	code, out, _ = cli(t, dir, "", "app", "list")
	if code != exitOK || strings.Contains(out, "shop") {
		t.Fatalf("deleted app still listed: %s", out)
	}
}

func TestCLI_ExitCodes(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := cli(t, dir, "", "app", "create", "shop"); code != exitOK {
		t.Fatalf("setup: %s", errOut)
	}
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"help", []string{"--help"}, exitOK, ""},
		{"subcommand help", []string{"app", "settings", "--help"}, exitOK, ""},
		{"unknown command", []string{"apps"}, exitUsage, "unknown command"},
		{"branch without subcommand", []string{"app"}, exitUsage, "app: missing subcommand: create, list, delete, key, settings, locks or application"},
		{"missing argument", []string{"app", "create"}, exitUsage, "missing app name"},
		{"extra argument", []string{"app", "list", "shop"}, exitUsage, `unexpected argument "shop"`},
		{"unknown flag", []string{"app", "list", "--colour"}, exitUsage, "colour"},
		{"invalid app name", []string{"app", "create", "my shop"}, exitUsage, "invalid"},
		{"app exists", []string{"app", "create", "shop"}, exitConflict, "already exists"},
		{"no such app", []string{"app", "delete", "blog"}, exitNotFound, "no app named"},
		{"no such app to rotate", []string{"app", "key", "rotate", "blog"}, exitNotFound, "no app named"},
		{"unknown storage", []string{"app", "settings", "shop", "--session-storage", "redis"}, exitUsage, "valid storages for the session scope are memory, file"},
		{"j2ee with storage", []string{"app", "settings", "shop", "--session-type", "j2ee", "--session-storage", "file"}, exitUsage, "j2ee"},
		{"bad timeout", []string{"scope", "defaults", "--client-timeout", "forever"}, exitUsage, "clientTimeout"},
		{"bad global flag value", []string{"app", "list", "--max-scope-size", "lots"}, exitUsage, "max-scope-size"},
		{"short metrics token", []string{"app", "list", "--metrics-token", "short"}, exitUsage, "SCOPESTORE_METRICS_TOKEN"},
		{"metrics token with a space", []string{"app", "list", "--metrics-token", "a token with spaces"}, exitUsage, "without spaces"},
		{"connection without name", []string{"connection", "create", "--type", "ram"}, exitUsage, "--name is required"},
		{"connection without type", []string{"connection", "create", "--name", "c1"}, exitUsage, "--type is required"},
		{"connection missing url", []string{"connection", "create", "--name", "c1", "--type", "redis"}, exitUsage, "url"},
		{"connection bad port", []string{"connection", "create", "--name", "c1", "--type", "mysql", "--host", "db", "--database", "x", "--port", "99999"}, exitUsage, "port"},
		{"connection param of another type", []string{"connection", "create", "--name", "c1", "--type", "sqlite", "--file", "x.db", "--url", "redis://x"}, exitUsage, "does not apply"},
		{"connection reserved name", []string{"connection", "create", "--name", "memory", "--type", "ram"}, exitUsage, `name "memory"`},
		{"connection bad url scheme", []string{"connection", "create", "--name", "c1", "--type", "redis", "--url", "http://x:1"}, exitUsage, "redis://"},
		{"no such connection", []string{"connection", "delete", "nope"}, exitNotFound, "no connection"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, dir, "", c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out, errOut)
			}
			if !strings.Contains(errOut, c.stderr) {
				t.Fatalf("stderr lacks %q: %s", c.stderr, errOut)
			}
			if c.code == exitOK && !strings.Contains(out, "Usage:") {
				t.Fatalf("help not on stdout: %s", out)
			}
		})
	}
}

func TestCLI_Connections(t *testing.T) {
	dir := t.TempDir()
	// --no-verify: the test Redis may have no password, and this test is about keeping it.
	code, _, errOut := cli(t, dir, "s3cret-pw\n", "connection", "create", "--name", "SessionStorageCache", "--type", "redis",
		"--url", "redis://127.0.0.1:6379/0", "--storage", "--password-stdin", "--no-verify")
	if code != exitOK {
		t.Fatalf("connection create: exit %d: %s", code, errOut)
	}
	code, _, errOut = cli(t, dir, "", "connection", "create", "--name", "sessionstoragecache", "--type", "ram", "--no-verify")
	if code != exitConflict {
		t.Fatalf("names are case-insensitive: exit %d: %s", code, errOut)
	}
	code, out, _ := cli(t, dir, "", "connection", "list")
	if code != exitOK || !strings.Contains(out, "SessionStorageCache") || !strings.Contains(out, "password=(set)") || strings.Contains(out, "s3cret-pw") {
		t.Fatalf("connection list: exit %d:\n%s", code, out)
	}
	// The test Redis: every check passes, when it is created and after.
	code, out, errOut = cli(t, dir, "", "connection", "create", "--name", "live", "--type", "redis", "--url", conntest.RedisURL(t),
		"--prefix", conntest.RedisPrefix(t), "--storage")
	if code != exitOK || !strings.Contains(out, "ok      connect") || strings.Contains(out, "FAIL") {
		t.Fatalf("create live: exit %d: %s %s", code, out, errOut)
	}
	// The checks create ran are kept as the connection's last Verify; one created unchecked was never verified.
	code, out, _ = cli(t, dir, "", "connection", "list")
	if code != exitOK || !listed(out, "live", "ok 20") || !listed(out, "SessionStorageCache", "never") {
		t.Fatalf("connection list after create: exit %d:\n%s", code, out)
	}
	code, out, _ = cli(t, dir, "", "connection", "verify", "live")
	if code != exitOK || !strings.Contains(out, "ok      connect") || !strings.Contains(out, "ok      write with TTL") || strings.Contains(out, "FAIL") {
		t.Fatalf("verify live: exit %d: %s", code, out)
	}
	// Nothing listens on port 1: verify says what failed and exits 5.
	if code, _, _ = cli(t, dir, "", "connection", "create", "--name", "dead", "--type", "redis", "--url", "redis://127.0.0.1:1/0", "--timeout", "1s", "--no-verify"); code != exitOK {
		t.Fatal("create dead")
	}
	code, out, _ = cli(t, dir, "", "connection", "verify", "dead")
	if code != exitCheckFailed || !strings.Contains(out, "FAIL    connect") || !strings.Contains(out, "not flagged for storage") {
		t.Fatalf("verify dead: exit %d: %s", code, out)
	}
	code, _, errOut = cli(t, dir, "", "connection", "delete", "sessionstoragecache")
	if code != exitOK {
		t.Fatalf("delete: exit %d: %s", code, errOut)
	}
}

func TestCLI_Migrate(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := cli(t, dir, "", "migrate")
	if code != exitOK || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: exit %d: %s %s", code, out, errOut)
	}
}

// listed tells whether the row of name in a table that connection list
// printed holds want in its VERIFIED column.
func listed(out, name, want string) bool {
	lines := strings.Split(out, "\n")
	col := strings.Index(lines[0], "VERIFIED")
	for _, line := range lines[1:] {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name && col >= 0 && len(line) > col {
			return strings.HasPrefix(line[col:], want)
		}
	}
	return false
}

// hasRow tells whether a table printed by printEffective has a row for
// setting that reads want, with runs of spaces collapsed.
func hasRow(out, setting, want string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == setting {
			return strings.Join(f[1:], " ") == want
		}
	}
	return false
}

func TestCLI_StorageFlag(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, dir, "connection", "create", "--name", "ds1", "--type", "sqlite", "--file", dir+"/ds1.db", "--storage")
	mustCLI(t, dir, "connection", "create", "--name", "plain", "--type", "sqlite", "--file", dir+"/plain.db")
	mustCLI(t, dir, "app", "create", "shop")

	// Only flagged connections can hold scopes; the error names the valid ones.
	code, _, errOut := cli(t, dir, "", "app", "settings", "shop", "--session-storage", "plain")
	if code != exitUsage || !strings.Contains(errOut, "memory, file, ds1") {
		t.Fatalf("unflagged storage: exit %d: %s", code, errOut)
	}
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "DS1")

	// A connection in use can neither be deleted nor lose its flag.
	code, _, errOut = cli(t, dir, "", "connection", "delete", "ds1")
	if code != exitConflict || !strings.Contains(errOut, "app shop") {
		t.Fatalf("delete in use: exit %d: %s", code, errOut)
	}
	code, _, errOut = cli(t, dir, "", "connection", "edit", "ds1", "--storage=false")
	if code != exitConflict || !strings.Contains(errOut, "app shop") {
		t.Fatalf("unflag in use: exit %d: %s", code, errOut)
	}
	out := mustCLI(t, dir, "connection", "list")
	if !strings.Contains(out, "ds1   datasource  sqlite  true") && !strings.Contains(strings.Join(strings.Fields(out), " "), "ds1 datasource sqlite true") {
		t.Fatalf("the refused edit changed the connection:\n%s", out)
	}

	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "inherit")
	mustCLI(t, dir, "connection", "edit", "ds1", "--storage=false")
	mustCLI(t, dir, "connection", "delete", "ds1")
}
