package main

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// connection create checks the connection first: a failed check creates
// nothing and exits 5, --no-verify creates it anyway. None of this needs a
// server: nothing listens on port 1, and SQLite is a file.
func TestCLI_ConnectionCreateVerifies(t *testing.T) {
	dir := t.TempDir()
	dead := []string{"connection", "create", "--name", "dead", "--type", "redis", "--url", "redis://127.0.0.1:1/0", "--timeout", "1s", "--storage"}

	code, out, errOut := cli(t, dir, "", dead...)
	if code != exitCheckFailed {
		t.Fatalf("a failed check: exit %d, want %d\nstdout: %s\nstderr: %s", code, exitCheckFailed, out, errOut)
	}
	if !strings.Contains(out, "FAIL    connect: ") || !strings.Contains(out, "skipped write with TTL: connect failed\n") {
		t.Fatalf("each check should be printed:\n%s", out)
	}
	if want := "scopestore: connection create: connection dead was not created: a check failed. Correct its parameters, " +
		"or create it anyway with --no-verify (then: scopestore connection verify dead).\n"; !strings.HasSuffix(errOut, want) {
		t.Fatalf("stderr: %q", errOut)
	}
	if out := mustCLI(t, dir, "connection", "list"); strings.Contains(out, "dead") {
		t.Fatalf("a connection that failed its checks was created:\n%s", out)
	}

	code, out, errOut = cli(t, dir, "", append(dead, "--no-verify")...)
	if code != exitOK || out != "" || !strings.Contains(errOut, "Created cache connection dead (type redis, storage true).") {
		t.Fatalf("--no-verify: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if out := mustCLI(t, dir, "connection", "list"); !strings.Contains(out, "dead") {
		t.Fatalf("--no-verify did not create it:\n%s", out)
	}
	// A name taken is refused before any check runs.
	code, out, errOut = cli(t, dir, "", dead...)
	if code != exitConflict || out != "" || !strings.Contains(errOut, `connection "dead" already exists`) {
		t.Fatalf("a taken name: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	// Checks that pass create it, and show each check.
	out = mustCLI(t, dir, "connection", "create", "--name", "ds1", "--type", "sqlite", "--file", filepath.Join(dir, "ds1.db"), "--storage")
	for _, check := range []string{"connect", "create table", "write", "read", "delete"} {
		if !strings.Contains(out, "ok      "+check+"\n") {
			t.Fatalf("create ds1: check %q not shown:\n%s", check, out)
		}
	}
	// A type this version cannot open is created, saying it was not verified.
	out = mustCLI(t, dir, "connection", "create", "--name", "rc", "--type", "ram")
	if !strings.Contains(out, "not verified") {
		t.Fatalf("ram: %s", out)
	}
	// memcached is verified as a storage: a server that is down fails connect.
	code, _, errOut = cli(t, dir, "", "connection", "create", "--name", "mc", "--type", "memcached", "--servers", "127.0.0.1:1", "--storage")
	if code != exitCheckFailed {
		t.Fatalf("memcached on a closed port: exit %d, want %d: %s", code, exitCheckFailed, errOut)
	}
}

// A check skipped because an earlier one failed reads "skipped" with its
// reason, for both verifiers' wording; only a real failure reads FAIL.
func TestVerify_PrintsSkippedChecks(t *testing.T) {
	checks := []scopes.Health{
		{Name: "connect"},
		{Name: "write with TTL", Err: fmt.Errorf("redis: verify write with TTL: %w", errors.New("READONLY You can't write against a read only replica."))},
		{Name: "read", Err: errors.New("redis: verify read: skipped because write with TTL failed")},
		{Name: "create table", Err: scopes.Errorf(scopes.EUnavailable, "skipped: the connect check failed")},
		{Name: "delete", Err: scopes.Errorf(scopes.EUnavailable, "PostgreSQL at db:5432 is not answering")},
	}
	var out bytes.Buffer
	if !printChecks(&out, "c1", true, admin.NewAPIChecks(checks)) {
		t.Fatal("printChecks reported no failure")
	}
	want := "ok      connect\n" +
		"FAIL    write with TTL: READONLY You can't write against a read only replica.\n" +
		"skipped read: write with TTL failed\n" +
		"skipped create table: the connect check failed\n" +
		"FAIL    delete: PostgreSQL at db:5432 is not answering\n"
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}

	out.Reset()
	if printChecks(&out, "c2", false, admin.NewAPIChecks(checks[:1])) {
		t.Fatal("every check passed, yet a failure was reported")
	}
	if !strings.Contains(out.String(), "note    c2 is not flagged for storage") {
		t.Fatalf("no note for a connection without storage:\n%s", out.String())
	}
}
