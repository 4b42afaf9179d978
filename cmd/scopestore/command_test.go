package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Global flags work before the command's name as well as after it.
func TestCLI_GlobalFlagsBeforeCommand(t *testing.T) {
	envDir := t.TempDir() // what SCOPESTORE_DATA_DIR names; the flag must win over it
	cases := []struct {
		name string
		args func(dir string) []string
	}{
		{"before", func(dir string) []string { return []string{"--data-dir", dir, "app", "create", "shop"} }},
		{"before with =", func(dir string) []string { return []string{"--data-dir=" + dir, "app", "create", "shop"} }},
		{"one dash, between branch and leaf", func(dir string) []string { return []string{"app", "-data-dir", dir, "create", "shop"} }},
		{"several before", func(dir string) []string {
			return []string{"--log-level", "warn", "--data-dir", dir, "--cache-ttl=0", "app", "create", "shop"}
		}},
		{"after", func(dir string) []string { return []string{"app", "create", "shop", "--data-dir", dir} }},
		{"both sides", func(dir string) []string {
			return []string{"--log-format", "json", "app", "create", "--data-dir", dir, "shop"}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			code, out, errOut := cli(t, envDir, "", c.args(dir)...)
			if code != exitOK || !strings.HasPrefix(out, "ssk_") {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			if _, err := os.Stat(filepath.Join(dir, "config.db")); err != nil {
				t.Fatalf("the app did not go to --data-dir: %v", err)
			}
			code, out, _ = cli(t, envDir, "", "--data-dir", dir, "app", "list")
			if code != exitOK || !strings.Contains(out, "shop") {
				t.Fatalf("app list with the flag first: exit %d: %s", code, out)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(envDir, "config.db")); err == nil {
		t.Fatal("a command used SCOPESTORE_DATA_DIR although --data-dir was given")
	}
}

// Global flags alone still mean serve, which here cannot listen and says so
// without starting.
func TestCLI_GlobalFlagsAloneRunServe(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := cli(t, dir, "", "--data-dir", dir, "--addr", "127.0.0.1:99999")
	if code != exitUsage || !strings.Contains(errOut, "scopestore: serve: --addr (SCOPESTORE_ADDR) 127.0.0.1:99999: cannot listen") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// A command's help lists its own flags, then the global ones under their
// own heading; it goes to stdout and exits 0.
func TestCLI_HelpSeparatesGlobalFlags(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		own  []string // flags listed before the global heading
	}{
		{[]string{"app", "create", "--help"}, nil},
		{[]string{"serve", "-h"}, nil},
		{[]string{"--data-dir", dir, "connection", "create", "--help"}, []string{"--name string", "--type string", "--no-verify", "--password-stdin"}},
		{[]string{"app", "settings", "shop", "-help"}, []string{"--session-storage string"}},
		{[]string{"migrate", "--help"}, []string{"--connection string", "--dry-run"}},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(strings.Join(c.args, " "), dir, "DIR"), func(t *testing.T) {
			code, out, errOut := cli(t, dir, "", c.args...)
			if code != exitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			own, global, ok := strings.Cut(out, "\nGlobal flags (before or after the command; each also read from its SCOPESTORE_* variable):\n")
			if !ok || !strings.HasPrefix(own, "Usage: scopestore ") {
				t.Fatalf("no global heading:\n%s", out)
			}
			for _, f := range c.own {
				if !strings.Contains(own, "\n  "+f+"\n") {
					t.Errorf("own flags lack %q:\n%s", f, own)
				}
			}
			if len(c.own) == 0 && !strings.Contains(own, "Flags: none of its own") {
				t.Errorf("a command without flags of its own should say so:\n%s", own)
			}
			if strings.Contains(own, "--data-dir") || strings.Contains(own, "--log-level") {
				t.Errorf("global flags among the command's own:\n%s", own)
			}
			if !strings.Contains(global, "  --data-dir string  (SCOPESTORE_DATA_DIR)\n") || strings.Contains(global, "--session-storage") {
				t.Errorf("global flags section:\n%s", global)
			}
		})
	}
	// A branch's help lists its commands and points at the global flags.
	code, out, _ := cli(t, dir, "", "app", "--help")
	if code != exitOK || !strings.Contains(out, "  create ") || !strings.Contains(out, "go before or after the command") {
		t.Fatalf("app --help: exit %d:\n%s", code, out)
	}
}

// An error is one line that names the command and, for a mistake in the
// command line, hints at its --help; never the whole usage.
func TestCLI_ErrorIsOneLineWithHint(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, dir, "app", "list") // the config store exists: no migration logs below
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"app", "create"}, exitUsage, "scopestore: app create: missing app name. Try 'scopestore app create --help'."},
		{[]string{"--data-dir", dir, "app", "create"}, exitUsage, "scopestore: app create: missing app name. Try 'scopestore app create --help'."},
		{[]string{"apps"}, exitUsage, `scopestore: unknown command "apps". Try 'scopestore --help'.`},
		{[]string{"app", "crate", "shop"}, exitUsage, `scopestore: app: unknown command "crate". Try 'scopestore app --help'.`},
		{[]string{"app"}, exitUsage, "scopestore: app: missing subcommand: create, list, delete, key, settings, locks or application. Try 'scopestore app --help'."},
		{[]string{"app", "list", "--colour"}, exitUsage, "scopestore: app list: unknown flag --colour. Try 'scopestore app list --help'."},
		{[]string{"connection", "create", "--name"}, exitUsage, "scopestore: connection create: --name needs a value. Try 'scopestore connection create --help'."},
		{[]string{"app", "list", "--max-scope-size", "lots"}, exitUsage,
			`scopestore: app list: invalid value "lots" for --max-scope-size: "lots" is not a size like 1GiB, 512KiB or 4096. Try 'scopestore app list --help'.`},
		{[]string{"serve", "a", "b"}, exitUsage, `scopestore: serve: unexpected arguments "a" "b". Try 'scopestore serve --help'.`},
		{[]string{"sessions", "show", "--app", "shop"}, exitUsage, "scopestore: sessions show: missing cfid. Try 'scopestore sessions show --help'."},
		{[]string{"--name", "c1", "connection", "create"}, exitUsage,
			"scopestore: --name is not a global flag: a command's own flags go after its name. Try 'scopestore --help'."},
		{[]string{"connection", "verify"}, exitUsage, "scopestore: connection verify: missing connection name. Try 'scopestore connection verify --help'."},
		{[]string{"app", "delete", "blog"}, exitNotFound, "scopestore: app delete: no app named \"blog\"; create it with `scopestore app create blog`"},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(strings.Join(c.args, " "), dir, "DIR"), func(t *testing.T) {
			code, out, errOut := cli(t, dir, "", c.args...)
			if code != c.code || errOut != c.want+"\n" {
				t.Fatalf("exit %d, want %d\nstderr: %q\nwant:   %q\nstdout: %s", code, c.code, errOut, c.want+"\n", out)
			}
			if out != "" {
				t.Fatalf("stdout: %s", out)
			}
		})
	}
	// Validation reports each problem on a line of its own; the error is still one line.
	code, _, errOut := cli(t, dir, "", "connection", "create", "--name", "9lives", "--type", "ram", "--url", "redis://x")
	if code != exitUsage || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "scopestore: connection create: ") ||
		!strings.Contains(errOut, "; ") || !strings.HasSuffix(errOut, ". Try 'scopestore connection create --help'.\n") {
		t.Fatalf("exit %d: %q", code, errOut)
	}
}
