package main

import (
	"context"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// sessions show masks as the console does; --reveal shows the clear values
// and is audited as such. A filter on a masked key is refused.
func TestCLI_SessionsShowMasksAndRevealIsAudited(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, dir, "app", "create", "shop")
	mustCLI(t, dir, "app", "settings", "shop", "--session-storage", "file", "--session-cluster", "true", "--sensitive-keys", "dob")
	svc := openServices(t, dir)
	cfid := createScopes(t, svc, "shop", scopes.Session,
		`{"email":"alice@example.com","password":"hunter2","user":{"DOB":"1970-01-01","cardNumber":"4111111111111111"},"note":"\u003cb\u003e"}`)[0]

	out := mustCLI(t, dir, "sessions", "show", "--app", "shop", cfid)
	for _, secret := range []string{"hunter2", "1970-01-01", "4111111111111111"} {
		if strings.Contains(out, secret) {
			t.Errorf("show prints the sensitive value %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{`"password": "••••"`, `"DOB": "••••"`, `"cardNumber": "••••"`, `"email": "alice@example.com"`, `"note": "<b>"`} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %s:\n%s", want, out)
		}
	}
	entries, err := svc.config.Audit(context.Background(), 0, 1)
	if err != nil || len(entries) != 1 || entries[0].Action != "session.view" || !strings.Contains(entries[0].Detail, "masked") {
		t.Fatalf("show audited as %+v, %v", entries, err)
	}

	out = mustCLI(t, dir, "sessions", "show", "--app", "shop", "--reveal", cfid)
	for _, secret := range []string{"hunter2", "1970-01-01", "4111111111111111"} {
		if !strings.Contains(out, secret) {
			t.Errorf("show --reveal hides %q:\n%s", secret, out)
		}
	}
	entries, err = svc.config.Audit(context.Background(), 0, 1)
	if e := entries[0]; err != nil || e.Action != "session.reveal" || e.Target != "shop session "+cfid || !strings.HasPrefix(e.Actor, "cli:") {
		t.Errorf("--reveal audited as %+v, %v", e, err)
	}

	code, stdout, errOut := cli(t, dir, "", "sessions", "list", "--app", "shop", "--filter", "password=hunter2")
	if code != exitUsage || stdout != "" || !strings.Contains(errOut, "masked") || !strings.Contains(errOut, "filter on another key") {
		t.Errorf("a filter on a masked key: exit %d\nstdout: %s\nstderr: %s", code, stdout, errOut)
	}
	if out := mustCLI(t, dir, "sessions", "list", "--app", "shop", "--filter", "=hunter2"); len(cfidCell.FindAllString(out, -1)) != 0 {
		t.Errorf("a filter on any key finds the session by its password:\n%s", out)
	}
}
