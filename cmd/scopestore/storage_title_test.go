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
