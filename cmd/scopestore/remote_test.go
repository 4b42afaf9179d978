package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// TestCLI_Server runs the sessions, app and connection commands against a
// running server with --server and --token: they reach the sessions in
// the server's memory, which the data directory does not hold, with the
// role of the token's user, and every refusal says what to do.
func TestCLI_Server(t *testing.T) {
	s := startRemoteServer(t)
	dir, svc, adminToken, opToken := s.dir, s.svc, s.adminToken, s.opToken
	if !strings.HasPrefix(adminToken, scopes.AdminTokenPrefix) || adminToken == opToken {
		t.Fatalf("tokens %q and %q", adminToken, opToken)
	}
	if out := mustCLI(t, dir, "admin", "token", "list"); !strings.Contains(out, "root") || !strings.Contains(out, "olga") ||
		strings.Contains(out, adminToken) {
		t.Fatalf("token list:\n%s", out)
	}
	cfids := createScopes(t, svc, "shop", scopes.Session, `{"userId":42,"password":"hunter2"}`, `{"userId":42}`, `{"userId":7}`)

	as := func(token string, args ...string) (int, string, string) {
		t.Helper()
		return s.as(t, token, "", args...)
	}
	mustAs := func(token string, args ...string) (string, string) {
		t.Helper()
		code, out, errOut := as(token, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		return out, errOut
	}

	// Without --server the memory sessions are out of reach, and the
	// message names --server.
	if code, _, errOut := cli(t, dir, "", "sessions", "list", "--app", "shop"); code != exitFailure || !strings.Contains(errOut, "--server") {
		t.Fatalf("local list of memory sessions: exit %d: %s", code, errOut)
	}
	// With it, the operator's token lists them (the app's name in any case).
	out, _ := mustAs(opToken, "sessions", "list", "--app", "SHOP")
	for _, cfid := range cfids {
		if !strings.Contains(out, cfid) {
			t.Errorf("list through the server lacks %s:\n%s", cfid, out)
		}
	}
	if out, _ := mustAs(opToken, "sessions", "list", "--app", "shop", "--filter", "userId=7"); strings.Count(out, "\n") != 2 || !strings.Contains(out, cfids[2]) {
		t.Errorf("filtered list:\n%s", out)
	}
	// --max-scan bounds the server's scan as it bounds the local one: two
	// of the three scopes read, one match at most, so the page stops short.
	if _, errOut := mustAs(opToken, "sessions", "list", "--app", "shop", "--filter", "userId=7", "--limit", "2", "--max-scan", "2"); !strings.Contains(errOut, "The filter read 2 scopes") {
		t.Errorf("--max-scan 2 through the server: %s", errOut)
	}
	// show masks for anybody; --reveal is an administrator's, and audited.
	out, _ = mustAs(opToken, "sessions", "show", "--app", "shop", cfids[0])
	var sc scopes.Scope
	if err := json.Unmarshal([]byte(out), &sc); err != nil || sc.CFID != cfids[0] || strings.Contains(out, "hunter2") || !strings.Contains(out, scopes.Mask) {
		t.Fatalf("show: %v\n%s", err, out)
	}
	if code, _, errOut := as(opToken, "sessions", "show", "--app", "shop", "--reveal", cfids[0]); code == exitOK || !strings.Contains(errOut, "operator") {
		t.Errorf("an operator's --reveal: exit %d: %s", code, errOut)
	}
	if out, _ := mustAs(adminToken, "sessions", "show", "--app", "shop", "--reveal", cfids[0]); !strings.Contains(out, "hunter2") {
		t.Errorf("an administrator's --reveal:\n%s", out)
	}

	// An operator invalidates nothing.
	if code, _, errOut := as(opToken, "sessions", "invalidate", "--app", "shop", cfids[2]); code == exitOK || !strings.Contains(errOut, "operator") {
		t.Errorf("an operator's invalidate: exit %d: %s", code, errOut)
	}
	// An administrator ends one scope, then those whose userId is 42.
	_, errOut := mustAs(adminToken, "sessions", "invalidate", "--app", "shop", cfids[2])
	if !strings.Contains(errOut, "Invalidated the session scope "+cfids[2]+" of shop") {
		t.Errorf("invalidate: %s", errOut)
	}
	if out, _ := mustAs(adminToken, "sessions", "invalidate", "--app", "shop", "--where", "userId=42", "--dry-run"); strings.TrimSpace(out) != "2" {
		t.Errorf("dry run counted %q, want 2", out)
	}
	if code, _, errOut := as(adminToken, "sessions", "invalidate", "--app", "shop", "--where", "userId=42"); code != exitUsage || !strings.Contains(errOut, "--yes") {
		t.Errorf("without --yes: exit %d: %s", code, errOut)
	}
	if out, _ := mustAs(adminToken, "sessions", "invalidate", "--app", "shop", "--where", "userId=42", "--yes"); strings.TrimSpace(out) != "2" {
		t.Errorf("invalidated %q, want 2", out)
	}
	eff, err := svc.directory.Effective(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	for _, cfid := range cfids {
		if _, err := svc.engine.Peek(context.Background(), eff.Settings, scopes.Key{App: "shop", Kind: scopes.Session, CFID: cfid}); scopes.ErrorCode(err) != scopes.ENotFound {
			t.Errorf("%s is still live: %v", cfid, err)
		}
	}
	if code, _, errOut := as(adminToken, "sessions", "show", "--app", "shop", cfids[0]); code != exitNotFound || !strings.Contains(errOut, "expired or was invalidated") {
		t.Errorf("show of an ended scope: exit %d: %s", code, errOut)
	}
	// The server recorded who did it.
	entries, err := svc.config.Audit(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if e.Actor == "admin:root" {
			actions = append(actions, e.Action)
		}
	}
	if got := strings.Join(actions, " "); !strings.Contains(got, "session.invalidate_matching") || !strings.Contains(got, "session.invalidate") ||
		!strings.Contains(got, "session.reveal") {
		t.Errorf("audited as root: %s", got)
	}

	// app list and connection list read the server's config.
	if out, _ := mustAs(opToken, "app", "list"); !strings.Contains(out, "shop") {
		t.Errorf("app list:\n%s", out)
	}
	mustCLI(t, dir, "connection", "create", "--name", "ram1", "--type", "ram", "--no-verify")
	if out, _ := mustAs(opToken, "connection", "list"); !strings.Contains(out, "ram1") {
		t.Errorf("connection list:\n%s", out)
	}

	// Refusals that say what to do.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sessions", "list", "--app", "shop", "--server", s.url, "--token", "sst_nope"}, exitFailure, "unknown or was revoked"},
		{[]string{"sessions", "list", "--app", "shop", "--server", s.url, "--token", "ssk_appkey"}, exitFailure, "app's API key"},
		{[]string{"sessions", "list", "--app", "shop", "--server", s.url}, exitUsage, "--server needs --token"},
		{[]string{"sessions", "list", "--app", "shop", "--server", "127.0.0.1:1", "--token", adminToken}, exitUsage, "the running server's URL"},
		{[]string{"sessions", "list", "--app", "shop", "--server", "http://127.0.0.1:1", "--token", adminToken}, exitFailure, "cannot reach the server"},
		{[]string{"sessions", "list", "--app", "nope", "--server", s.url, "--token", adminToken}, exitNotFound, "nope"},
		{[]string{"connection", "rekey", "--server", s.url, "--token", adminToken}, exitUsage, "works on the data directory"},
	} {
		code, _, errOut := cli(t, dir, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d (want %d): %s", strings.Join(tc.args, " "), code, tc.code, errOut)
		}
	}

	// A revoked token is refused at once.
	mustCLI(t, dir, "admin", "token", "revoke", "2")
	if code, _, errOut := as(opToken, "app", "list"); code == exitOK || !strings.Contains(errOut, "revoked") {
		t.Errorf("a revoked token: exit %d: %s", code, errOut)
	}
}
