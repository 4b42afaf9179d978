package main

import (
	"context"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/scopes"
)

// keyIDs returns the IDs that `app key list` printed, by label.
func keyIDs(t *testing.T, out string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "LAST USED") {
		t.Fatalf("no header in %q", out)
	}
	for _, line := range lines[1:] {
		// Columns: ID, LABEL (may hold spaces), CREATED, LAST USED.
		f := strings.Fields(line)
		if len(f) < 4 {
			t.Fatalf("short row %q", line)
		}
		ids[strings.Join(f[1:len(f)-2], " ")] = f[0]
	}
	return ids
}

// authenticates tells whether key opens app in the data directory's config store.
func authenticates(t *testing.T, dir, key, app string) bool {
	t.Helper()
	cs, err := configstore.Open(context.Background(), "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	got, found, err := cs.AppForKey(context.Background(), scopes.HashAPIKey(key))
	return err == nil && found && got == app
}

func TestCLI_KeysWithoutDowntime(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := cli(t, dir, "", "app", "create", "shop")
	if code != exitOK {
		t.Fatalf("app create: %s", errOut)
	}
	old := strings.TrimSpace(out)

	code, out, errOut = cli(t, dir, "", "app", "key", "add", "shop", "--label", "web servers")
	fresh := strings.TrimSpace(out)
	if code != exitOK || !strings.HasPrefix(fresh, "ssk_") || strings.Contains(fresh, "\n") || fresh == old {
		t.Fatalf("app key add must print the new key alone on stdout: exit %d, %q, %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "other keys keep working") {
		t.Errorf("stderr %q", errOut)
	}
	if !authenticates(t, dir, old, "shop") || !authenticates(t, dir, fresh, "shop") {
		t.Fatal("after app key add both keys must work")
	}

	code, out, _ = cli(t, dir, "", "app", "key", "list", "shop")
	ids := keyIDs(t, out)
	if code != exitOK || len(ids) != 2 || ids["key 1"] == "" || ids["web servers"] == "" {
		t.Fatalf("app key list: exit %d:\n%s", code, out)
	}
	if strings.Contains(out, old) || strings.Contains(out, fresh) || !strings.Contains(out, "never") {
		t.Errorf("the list shows a key, or no 'never':\n%s", out)
	}

	code, _, errOut = cli(t, dir, "", "app", "key", "revoke", "shop", ids["key 1"])
	if code != exitOK || !strings.Contains(errOut, "1 active key left") {
		t.Fatalf("revoke: exit %d: %s", code, errOut)
	}
	if authenticates(t, dir, old, "shop") || !authenticates(t, dir, fresh, "shop") {
		t.Fatal("after revoking key 1 the old key must fail and the new one work")
	}
	code, out, _ = cli(t, dir, "", "app", "key", "list", "shop")
	if ids := keyIDs(t, out); code != exitOK || len(ids) != 1 || ids["web servers"] == "" {
		t.Errorf("after revoking, the list:\n%s", out)
	}
	code, out, _ = cli(t, dir, "", "app", "key", "list", "shop", "--all")
	if code != exitOK || !strings.Contains(out, "REVOKED") || !strings.Contains(out, "key 1") {
		t.Errorf("--all:\n%s", out)
	}

	// The last key stays unless forced.
	code, _, errOut = cli(t, dir, "", "app", "key", "revoke", "shop", ids["web servers"])
	if code != exitConflict || !strings.Contains(errOut, "lock shop out") || !strings.Contains(errOut, "--force") ||
		strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("revoking the last key: exit %d: %q", code, errOut)
	}
	if !authenticates(t, dir, fresh, "shop") {
		t.Fatal("a refused revocation revoked the key")
	}
	code, _, errOut = cli(t, dir, "", "app", "key", "revoke", "shop", ids["web servers"], "--force")
	if code != exitOK || !strings.Contains(errOut, "no active key left") || authenticates(t, dir, fresh, "shop") {
		t.Fatalf("forced: exit %d: %s", code, errOut)
	}

	// Every change is in the audit log.
	cs, err := configstore.Open(context.Background(), "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	entries, err := cs.Audit(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "app.key.") {
			actions = append(actions, e.Action+" "+e.Actor[:4])
		}
	}
	if got := strings.Join(actions, ", "); got != "app.key.revoke cli:, app.key.revoke cli:, app.key.add cli:" {
		t.Errorf("audited key changes (newest first): %s", got)
	}
}

func TestCLI_KeyErrors(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := cli(t, dir, "", "app", "create", "shop"); code != exitOK {
		t.Fatalf("setup: %s", errOut)
	}
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"add to no app", []string{"app", "key", "add", "blog"}, exitNotFound, "no app named"},
		{"list of no app", []string{"app", "key", "list", "blog"}, exitNotFound, "no app named"},
		{"long label", []string{"app", "key", "add", "shop", "--label", strings.Repeat("x", 101)}, exitUsage, "longer than 100"},
		{"revoke without id", []string{"app", "key", "revoke", "shop"}, exitUsage, "key ID"},
		{"revoke a bad id", []string{"app", "key", "revoke", "shop", "one"}, exitUsage, "not a number"},
		{"revoke no such key", []string{"app", "key", "revoke", "shop", "999"}, exitNotFound, "no API key 999"},
		{"revoke in no app", []string{"app", "key", "revoke", "blog", "1"}, exitNotFound, "no app named"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, dir, "", c.args...)
			if code != c.code || !strings.Contains(errOut, c.stderr) {
				t.Fatalf("exit %d, want %d; stderr %q, want it to contain %q; stdout %q", code, c.code, errOut, c.stderr, out)
			}
		})
	}
}
