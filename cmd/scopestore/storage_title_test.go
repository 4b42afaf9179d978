package main

import (
	"strings"
	"testing"
)

// The command line names a connection's storage as the connection was
// named, whatever case a setting gave it: settings keep it in lower case.
func TestCLI_StorageNamesKeepTheirCase(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, dir, "connection", "create", "--name", "SessionCache", "--type", "sqlite", "--file", dir+"/s.db", "--storage")
	mustCLI(t, dir, "app", "create", "shop")
	for _, out := range []string{
		mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "SESSIONCACHE"),
		mustCLI(t, dir, "app", "settings", "shop"),
		mustCLI(t, dir, "app", "list"),
	} {
		if !strings.Contains(out, "SessionCache") || strings.Contains(out, "sessioncache") {
			t.Errorf("the storage is not named SessionCache:\n%s", out)
		}
	}
	mustCLI(t, dir, "scope", "defaults", "--client-storage", "sessioncache")
	if out := mustCLI(t, dir, "scope", "defaults"); !strings.Contains(out, "SessionCache") || strings.Contains(out, "sessioncache") {
		t.Errorf("scope defaults:\n%s", out)
	}
}

// A storage that does not pass Verify is refused, nothing saved, unless
// --force, on the data directory and through a server alike.
func TestCLI_UnreachableStorageNeedsForce(t *testing.T) {
	dir := t.TempDir()
	// Nothing listens on port 1.
	mustCLI(t, dir, "connection", "create", "--name", "Down", "--type", "redis", "--url", "redis://127.0.0.1:1/0", "--timeout", "100ms", "--storage", "--no-verify")
	mustCLI(t, dir, "app", "create", "shop")
	for _, args := range [][]string{
		{"app", "settings", "shop", "--session-storage", "down"},
		{"scope", "defaults", "--client-storage", "down"},
	} {
		code, _, errOut := cli(t, dir, "", args...)
		if code != exitConflict || !strings.Contains(errOut, "storage Down did not pass Verify") || !strings.Contains(errOut, "--force") {
			t.Errorf("%s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
	}
	if out := mustCLI(t, dir, "app", "settings", "shop"); strings.Contains(out, "Down") {
		t.Fatalf("the refused change was saved:\n%s", out)
	}
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "down", "--force")
	if out := mustCLI(t, dir, "app", "settings", "shop"); !strings.Contains(out, "Down") {
		t.Fatalf("--force did not save:\n%s", out)
	}
}

// Through a server, the server runs the same check; --force sends ?force=true.
func TestCLI_ServerUnreachableStorageNeedsForce(t *testing.T) {
	s := startRemoteServer(t)
	mustCLI(t, s.dir, "connection", "create", "--name", "Down", "--type", "redis", "--url", "redis://127.0.0.1:1/0", "--timeout", "100ms", "--storage", "--no-verify")
	code, _, errOut := s.as(t, s.adminToken, "", "app", "settings", "shop", "--session-storage", "down")
	if code != exitConflict || !strings.Contains(errOut, "storage Down did not pass Verify") {
		t.Fatalf("through the server: exit %d: %s", code, errOut)
	}
	if out, _ := s.mustAs(t, "app", "settings", "shop", "--session-storage", "down", "--force"); !strings.Contains(out, "Down") {
		t.Fatalf("--force through the server did not save:\n%s", out)
	}
}
