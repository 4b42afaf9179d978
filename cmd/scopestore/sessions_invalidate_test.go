package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// "Log user 42 out everywhere" from the command line: --dry-run prints the
// count and ends nothing, no --yes ends nothing, --yes ends exactly the
// matching scopes, notifies each and is audited once; a bad filter is a
// usage error that ends nothing.
func TestCLI_SessionsInvalidateWhere(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	mustCLI(t, dir, "app", "create", "shop")
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "file", "--session-cluster", "true")
	svc := openServices(t, dir)
	const hook = "https://hooks.example/end"
	if _, err := svc.directory.SetAppSettings(ctx, "shop", map[string]string{
		scopes.AllowedWebhooks: hook, scopes.ScopeEndWebhook: hook}); err != nil {
		t.Fatal(err)
	}
	match := createScopes(t, svc, "shop", scopes.Session, `{"userId":42}`, `{"userid":"42","cart":[1]}`)
	others := createScopes(t, svc, "shop", scopes.Session, `{"userId":7}`, `{"password":"42"}`, `{}`)
	client := createScopes(t, svc, "shop", scopes.Client, `{"userId":42}`)
	live := func() []string {
		t.Helper()
		eff, err := svc.directory.Effective(ctx, "shop")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, cfid := range append(append(slices.Clone(match), others...), client...) {
			k := scopes.Session
			if cfid == client[0] {
				k = scopes.Client
			}
			if _, err := svc.engine.Peek(ctx, eff.Settings, scopes.Key{App: "shop", Kind: k, CFID: cfid}); err == nil {
				out = append(out, cfid)
			}
		}
		return out
	}

	out := mustCLI(t, dir, "sessions", "invalidate", "--app", "shop", "--where", "userId=42", "--dry-run")
	if strings.TrimSpace(out) != "2" {
		t.Fatalf("--dry-run printed %q, want 2", out)
	}
	code, out, errOut := cli(t, dir, "", "sessions", "invalidate", "--app", "shop", "--where", "userId=42")
	if code != exitUsage || !strings.Contains(errOut, "2 session scopes of shop match --where \"userId=42\" now (5 examined)") ||
		!strings.Contains(errOut, "nothing invalidated: add --yes") {
		t.Fatalf("without --yes: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, bad := range [][]string{
		{"--where", "userId"},
		{"--where", "password=42", "--yes"},
		{"--where", "userId=42", "--dry-run", "--yes"},
		{"--prefix", "xyz", "--yes"},
		{"--where", "userId=42", "--yes", match[0]},
	} {
		code, _, errOut := cli(t, dir, "", append([]string{"sessions", "invalidate", "--app", "shop"}, bad...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", bad, code, exitUsage, errOut)
		}
	}
	if got := live(); len(got) != 6 {
		t.Fatalf("scopes ended before --yes: %d of 6 left", len(got))
	}

	code, out, errOut = cli(t, dir, "", "sessions", "invalidate", "--app", "shop", "--where", "userId=42", "--yes")
	if code != exitOK || strings.TrimSpace(out) != "2" || !strings.Contains(errOut, "Invalidated 2 session scopes of shop") {
		t.Fatalf("--yes: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if got, want := live(), append(slices.Clone(others), client...); !slices.Equal(got, want) {
		t.Errorf("live after --yes: %v, want %v", got, want)
	}
	ns, err := svc.config.DueNotifications(ctx, time.Now().Add(time.Minute), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	var notified []string
	for _, n := range ns {
		if n.Reason == scopes.ReasonInvalidated {
			notified = append(notified, n.Key.CFID)
		}
	}
	slices.Sort(notified)
	if want := slices.Sorted(slices.Values(match)); !slices.Equal(notified, want) {
		t.Errorf("notified %v, want %v", notified, want)
	}
	entries, err := svc.config.Audit(ctx, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if e := entries[0]; e.Action != "session.invalidate_matching" || e.Target != "shop" || !strings.HasPrefix(e.Actor, "cli:") ||
		!strings.HasPrefix(e.Detail, `2 scopes invalidated by the command line matching --where "userId=42"`) {
		t.Errorf("audited as %+v", e)
	}
	if entries[1].Action == "session.invalidate" {
		t.Errorf("one audit entry per scope: %+v", entries[1])
	}

	// Nothing left to match: 0, and nothing to do.
	if out := mustCLI(t, dir, "sessions", "invalidate", "--app", "shop", "--where", "userId=42", "--yes"); strings.TrimSpace(out) != "0" {
		t.Errorf("second run printed %q", out)
	}
}
