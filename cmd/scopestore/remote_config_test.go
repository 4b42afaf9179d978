package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// remoteServer is a running server over a data directory, as TestCLI_Server
// starts one, with an administrator's token (root) and an operator's
// (olga).
type remoteServer struct {
	dir        string
	svc        *services
	url        string
	adminToken string
	opToken    string
}

func startRemoteServer(t *testing.T) *remoteServer {
	t.Helper()
	dir := t.TempDir()
	mustCLI(t, dir, "app", "create", "shop")
	mustCLI(t, dir, "admin", "user", "add", "root", "--role", "administrator")
	mustCLI(t, dir, "admin", "user", "add", "olga", "--role", "operator")
	adminToken := strings.TrimSpace(mustCLI(t, dir, "admin", "token", "create", "--user", "root"))
	opToken := strings.TrimSpace(mustCLI(t, dir, "admin", "token", "create", "--user", "olga"))
	cfg := defaultConfig()
	cfg.DataDir, cfg.CacheTTL = dir, 0
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := open(context.Background(), &cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(svc, &cfg, logger))
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	return &remoteServer{dir: dir, svc: svc, url: srv.URL, adminToken: adminToken, opToken: opToken}
}

// as runs a command through --server with token, stdin given.
func (s *remoteServer) as(t *testing.T, token, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return cli(t, s.dir, stdin, append(args, "--server", s.url, "--token", token)...)
}

// mustAs runs a command as the administrator and fails the test unless it
// succeeds; it returns stdout and stderr.
func (s *remoteServer) mustAs(t *testing.T, args ...string) (string, string) {
	t.Helper()
	code, out, errOut := s.as(t, s.adminToken, "", args...)
	if code != exitOK {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out, errOut
}

// auditedAs returns the actions the server's audit log holds for actor,
// oldest first.
func (s *remoteServer) auditedAs(t *testing.T, actor string) []scopes.AuditEntry {
	t.Helper()
	entries, err := s.svc.config.Audit(context.Background(), 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	var out []scopes.AuditEntry
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Actor == actor {
			out = append(out, entries[i])
		}
	}
	return out
}

// The app, key, settings, locks and shared-scope commands reach a running
// server with --server, print what they print locally, change the
// server's own state, and are audited there as the token's user.
func TestCLI_ServerApps(t *testing.T) {
	s := startRemoteServer(t)
	ctx := context.Background()
	dir := s.directory()

	// app create prints the key alone; the server knows it.
	out, errOut := s.mustAs(t, "app", "create", "blog")
	key := strings.TrimSpace(out)
	if !strings.HasPrefix(key, "ssk_") || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "Created app blog") {
		t.Fatalf("app create: %q %q", out, errOut)
	}
	if app, err := dir.Authenticate(ctx, key); err != nil || app != "blog" {
		t.Fatalf("the new key opens %q, %v", app, err)
	}
	if code, _, errOut := s.as(t, s.adminToken, "", "app", "create", "BLOG"); code != exitConflict || !strings.Contains(errOut, "blog exists already") {
		t.Errorf("app create of a taken name: exit %d: %s", code, errOut)
	}

	// app settings shows, then sets, the effective settings.
	if out, _ := s.mustAs(t, "app", "settings", "BLOG"); !hasRow(out, "sessionTimeout", "30m built-in default") {
		t.Errorf("app settings:\n%s", out)
	}
	out, _ = s.mustAs(t, "app", "settings", "blog", "--session-timeout", "2h", "--sensitive-keys", "dob")
	if !hasRow(out, "sessionTimeout", "2h set by an administrator") {
		t.Errorf("app settings --session-timeout:\n%s", out)
	}
	if eff, err := dir.Effective(ctx, "blog"); err != nil || eff.Settings.Session.Timeout != 2*time.Hour {
		t.Errorf("the server's settings of blog: %v, %v", eff.Settings.Session.Timeout, err)
	}
	if code, _, errOut := s.as(t, s.adminToken, "", "app", "settings", "blog", "--session-storage", "nowhere"); code != exitUsage || !strings.Contains(errOut, "nowhere") {
		t.Errorf("an unknown storage: exit %d: %s", code, errOut)
	}

	// app key add, list, revoke, rotate.
	out, errOut = s.mustAs(t, "app", "key", "add", "blog", "--label", "web servers")
	second := strings.TrimSpace(out)
	if !strings.HasPrefix(second, "ssk_") || !strings.Contains(errOut, `("web servers") to app blog`) {
		t.Fatalf("key add: %q %q", out, errOut)
	}
	keys, err := dir.Keys(ctx, "blog")
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys: %v, %v", keys, err)
	}
	if out, _ := s.mustAs(t, "app", "key", "list", "blog"); !strings.Contains(out, "web servers") || strings.Count(out, "\n") != 3 {
		t.Errorf("key list:\n%s", out)
	}
	_, errOut = s.mustAs(t, "app", "key", "revoke", "blog", strconv.FormatInt(keys[1].ID, 10))
	if !strings.Contains(errOut, "Revoked API key") || !strings.Contains(errOut, "1 active key left") {
		t.Errorf("key revoke: %s", errOut)
	}
	if code, _, errOut := s.as(t, s.adminToken, "", "app", "key", "revoke", "blog", strconv.FormatInt(keys[0].ID, 10)); code != exitConflict ||
		!strings.Contains(errOut, "--force revokes it anyway") || strings.Contains(errOut, "?force") {
		t.Errorf("revoke of the last key: exit %d: %s", code, errOut)
	}
	if app, err := dir.Authenticate(ctx, key); err != nil || app != "blog" {
		t.Errorf("the refused revocation revoked the key: %q, %v", app, err)
	}
	if out, _ := s.mustAs(t, "app", "key", "list", "blog", "--all"); !strings.Contains(out, "REVOKED") || strings.Count(out, "\n") != 3 {
		t.Errorf("key list --all:\n%s", out)
	}
	out, _ = s.mustAs(t, "app", "key", "rotate", "blog")
	rotated := strings.TrimSpace(out)
	if app, err := dir.Authenticate(ctx, rotated); err != nil || app != "blog" {
		t.Errorf("the rotated key opens %q, %v", app, err)
	}
	if _, err := dir.Authenticate(ctx, key); err == nil {
		t.Error("the old key still opens blog after rotate")
	}

	// The application scope in memory lives in the server: --server reads
	// its copy, masked, audited; --reveal is the administrator's.
	_, errOut = s.mustAs(t, "app", "application", "shop")
	if !strings.Contains(errOut, "There is no application scope of shop yet") {
		t.Errorf("no application scope yet: %s", errOut)
	}
	mustCLIAs := func(args ...string) string { out, _ := s.mustAs(t, args...); return out }
	mustCLIAs("app", "settings", "shop", "--sensitive-keys", "dob", "--server-scope-write", "true")
	eff, err := dir.Effective(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []scopes.Key{scopes.ApplicationKey("shop"), scopes.ServerKey()} {
		if _, err := s.svc.engine.LoadShared(ctx, eff.Settings, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.engine.SaveIf(ctx, eff.Settings, key, json.RawMessage(`{"visits":42,"apiPassword":"hunter2","dob":"1970-01-01"}`), scopes.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut = s.mustAs(t, "app", "application", "shop")
	var sc map[string]any
	if err := json.Unmarshal([]byte(out), &sc); err != nil || sc["applicationname"] != "shop" || strings.Contains(out, "hunter2") ||
		strings.Contains(out, "1970") || !strings.Contains(out, `"visits": 42`) || !strings.Contains(errOut, "copy of the server") {
		t.Errorf("app application: %v\n%s%s", err, out, errOut)
	}
	if code, out, errOut := s.as(t, s.opToken, "", "app", "application", "shop", "--reveal"); code == exitOK || strings.Contains(out, "hunter2") || !strings.Contains(errOut, "operator") {
		t.Errorf("an operator's --reveal: exit %d: %s%s", code, out, errOut)
	}
	if out, _ := s.mustAs(t, "app", "application", "shop", "--reveal"); !strings.Contains(out, "hunter2") {
		t.Errorf("--reveal:\n%s", out)
	}
	out, errOut = s.mustAs(t, "scope", "server")
	if !strings.Contains(out, `"apiPassword": "••••"`) || !strings.Contains(errOut, "Apps that may write the server scope: shop.") {
		t.Errorf("scope server:\n%s%s", out, errOut)
	}

	// scope defaults shows and sets the server's defaults.
	if out, _ := s.mustAs(t, "scope", "defaults"); !hasRow(out, "clientTimeout", "90d built-in default") {
		t.Errorf("scope defaults:\n%s", out)
	}
	if out, _ := s.mustAs(t, "scope", "defaults", "--client-timeout", "30d"); !hasRow(out, "clientTimeout", "30d server default") {
		t.Errorf("scope defaults --client-timeout:\n%s", out)
	}
	if server, err := dir.ServerSettings(ctx); err != nil || server.Settings.Client.Timeout != 30*24*time.Hour {
		t.Errorf("the server's defaults: %v, %v", server.Settings.Client.Timeout, err)
	}

	// Locks in memory are the server's own: listed and broken through it.
	lock, err := scopes.NewLocks(s.svc.engine, dir).Acquire(ctx, "shop", scopes.LockOptions{Name: "counter", Type: scopes.LockExclusive, Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	out, errOut = s.mustAs(t, "app", "locks", "SHOP")
	if !strings.Contains(out, "counter") || !strings.Contains(out, "exclusive") || strings.Contains(out, lock.Token) || !strings.Contains(errOut, "in memory") {
		t.Errorf("app locks:\n%s%s", out, errOut)
	}
	if code, _, errOut := s.as(t, s.adminToken, "", "app", "locks", "shop", "--break", "counter"); code != exitUsage || !strings.Contains(errOut, "add --yes") {
		t.Errorf("--break without --yes: exit %d: %s", code, errOut)
	}
	if _, errOut := s.mustAs(t, "app", "locks", "shop", "--break", "counter", "--yes"); !strings.Contains(errOut, `Lock "counter" of shop is broken`) {
		t.Errorf("--break --yes: %s", errOut)
	}
	if held, _, err := scopes.NewLocks(s.svc.engine, dir).Held(ctx, "shop", 10); err != nil || len(held) != 0 {
		t.Errorf("after the break: %v, %v", held, err)
	}
	if code, _, errOut := s.as(t, s.adminToken, "", "app", "locks", "shop", "--break", "counter", "--yes"); code != exitNotFound || !strings.Contains(errOut, "not held now") {
		t.Errorf("break of a free lock: exit %d: %s", code, errOut)
	}

	// app delete ends the app on the server.
	if _, errOut := s.mustAs(t, "app", "delete", "Blog"); !strings.Contains(errOut, "Deleted app blog") {
		t.Errorf("app delete: %s", errOut)
	}
	if _, err := dir.AppName(ctx, "blog"); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Errorf("blog after delete: %v", err)
	}
	if code, _, errOut := s.as(t, s.adminToken, "", "app", "delete", "blog"); code != exitNotFound || !strings.Contains(errOut, "blog") {
		t.Errorf("delete of an unknown app: exit %d: %s", code, errOut)
	}

	// Each change is in the server's audit log, as root.
	var actions []string
	for _, e := range s.auditedAs(t, "admin:root") {
		actions = append(actions, e.Action)
	}
	got := strings.Join(actions, " ")
	for _, want := range []string{"app.create", "app.settings", "app.key.add", "app.key.revoke", "app.key.rotate", "application.view",
		"application.reveal", "server.view", "server.settings", "lock.break", "app.delete"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %s audited as admin:root: %s", want, got)
		}
	}
}

// The connection commands reach a running server: verify's checks are
// printed as locally and a failure exits 5, the password travels in the
// body, and the changes are audited as the token's user.
func TestCLI_ServerConnections(t *testing.T) {
	s := startRemoteServer(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "sessions.db")

	out, errOut := s.mustAs(t, "connection", "create", "--name", "db", "--type", "sqlite", "--file", file, "--storage")
	if !strings.Contains(out, "ok      ") || strings.Contains(out, "FAIL") || !strings.Contains(errOut, "Created datasource connection db (type sqlite, storage true)") {
		t.Fatalf("create sqlite:\n%s%s", out, errOut)
	}
	if c, err := s.svc.manager.Connection(ctx, "db"); err != nil || !c.Storage || c.Verified.At.IsZero() || !c.Verified.OK {
		t.Errorf("db on the server: %+v, %v", c, err)
	}
	if out, _ := s.mustAs(t, "connection", "create", "--name", "ram1", "--type", "ram"); !strings.Contains(out, "not verified") {
		t.Errorf("create ram:\n%s", out)
	}
	// A failed check creates nothing and exits 5, each check printed.
	code, out, errOut := s.as(t, s.adminToken, "", "connection", "create", "--name", "dead", "--type", "redis", "--url", "redis://127.0.0.1:1/0", "--timeout", "1s", "--storage")
	if code != exitCheckFailed || !strings.Contains(out, "FAIL    connect") || !strings.Contains(errOut, "connection dead was not created") {
		t.Errorf("create of a dead redis: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := s.svc.manager.Connection(ctx, "dead"); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Errorf("dead was created: %v", err)
	}
	if code, _, errOut := s.as(t, s.adminToken, "", "connection", "create", "--name", "DB", "--type", "sqlite", "--file", file); code != exitConflict || !strings.Contains(errOut, "already exists") {
		t.Errorf("create of a taken name: exit %d: %s", code, errOut)
	}

	// The password from stdin goes to the server in the body.
	if code, out, errOut := s.as(t, s.adminToken, "s3cret password\n", "connection", "create", "--name", "r1", "--type", "redis",
		"--url", "redis://127.0.0.1:1/0", "--password-stdin", "--no-verify"); code != exitOK || out != "" {
		t.Fatalf("create --password-stdin --no-verify: exit %d\n%s%s", code, out, errOut)
	}
	raw, found, err := s.svc.config.Connection(ctx, "r1")
	if err != nil || !found || raw.Secret != "s3cret password" {
		t.Fatalf("r1's password on the server: %q, %v, %v", raw.Secret, found, err)
	}
	// edit changes what its flags name; the password stays unless told.
	if _, errOut := s.mustAs(t, "connection", "edit", "R1", "--timeout", "2s", "--storage"); !strings.Contains(errOut, "Updated connection r1") {
		t.Errorf("edit: %s", errOut)
	}
	raw, _, _ = s.svc.config.Connection(ctx, "r1")
	if raw.Params["timeout"] != "2s" || !raw.Storage || raw.Secret != "s3cret password" || raw.Params["url"] != "redis://127.0.0.1:1/0" {
		t.Errorf("r1 after edit: %+v", raw)
	}
	s.mustAs(t, "connection", "edit", "r1", "--clear-password")
	if raw, _, _ = s.svc.config.Connection(ctx, "r1"); raw.Secret != "" {
		t.Errorf("r1 kept its password after --clear-password")
	}
	if code, _, errOut := s.as(t, s.adminToken, "", "connection", "edit", "nope", "--timeout", "1s"); code != exitNotFound || !strings.Contains(errOut, "nope") {
		t.Errorf("edit of an unknown connection: exit %d: %s", code, errOut)
	}

	// verify runs on the server: ok exits 0, a failure 5.
	if out, _ := s.mustAs(t, "connection", "verify", "db"); !strings.Contains(out, "ok      ") || strings.Contains(out, "FAIL") {
		t.Errorf("verify db:\n%s", out)
	}
	if code, out, _ := s.as(t, s.adminToken, "", "connection", "verify", "r1"); code != exitCheckFailed || !strings.Contains(out, "FAIL    connect") {
		t.Errorf("verify r1: exit %d\n%s", code, out)
	}

	// delete refuses a connection in use, and deletes one that is not.
	s.mustAs(t, "app", "settings", "shop", "--client-storage", "db")
	if code, _, errOut := s.as(t, s.adminToken, "", "connection", "delete", "db"); code != exitConflict || !strings.Contains(errOut, "app shop") {
		t.Errorf("delete of a connection in use: exit %d: %s", code, errOut)
	}
	if _, errOut := s.mustAs(t, "connection", "delete", "R1"); !strings.Contains(errOut, "Deleted connection r1") {
		t.Errorf("delete: %s", errOut)
	}
	if _, err := s.svc.manager.Connection(ctx, "r1"); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Errorf("r1 after delete: %v", err)
	}

	var actions []string
	for _, e := range s.auditedAs(t, "admin:root") {
		actions = append(actions, e.Action+" "+e.Target)
		if strings.Contains(e.Detail, "s3cret") {
			t.Errorf("the audit log holds the password: %+v", e)
		}
	}
	got := strings.Join(actions, ", ")
	for _, want := range []string{"connection.create db", "connection.create ram1", "connection.create r1", "connection.edit r1", "connection.delete r1"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %s audited as admin:root: %s", want, got)
		}
	}
}

// An operator's token changes nothing through --server: every change is
// refused (403, audited as admin.refused), and the server's state stays as
// it was. The commands that need the data directory refuse --server.
func TestCLI_ServerRefusals(t *testing.T) {
	s := startRemoteServer(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "sessions.db")
	s.mustAs(t, "connection", "create", "--name", "db", "--type", "sqlite", "--file", file, "--storage")
	keys, err := s.svc.directory.Keys(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scopes.NewLocks(s.svc.engine, s.svc.directory).Acquire(ctx, "shop", scopes.LockOptions{Name: "counter", Type: scopes.LockExclusive, Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		apps, _ := s.svc.directory.Apps(ctx)
		keys, _ := s.svc.directory.Keys(ctx, "shop")
		server, _ := s.svc.directory.ServerSettings(ctx)
		conns, _ := s.svc.manager.Connections(ctx)
		held, _, _ := scopes.NewLocks(s.svc.engine, s.svc.directory).Held(ctx, "shop", 10)
		b, _ := json.Marshal([]any{apps, keys, server.Values, conns, len(held)})
		return string(b)
	}
	before := state()
	changes := [][]string{
		{"app", "create", "blog"},
		{"app", "delete", "shop"},
		{"app", "settings", "shop", "--session-timeout", "1h"},
		{"app", "key", "add", "shop"},
		{"app", "key", "revoke", "shop", strconv.FormatInt(keys[0].ID, 10), "--force"},
		{"app", "key", "rotate", "shop"},
		{"app", "locks", "shop", "--break", "counter", "--yes"},
		{"scope", "defaults", "--client-timeout", "1d"},
		{"connection", "create", "--name", "ram1", "--type", "ram"},
		{"connection", "edit", "db", "--timeout", "3s"},
		{"connection", "delete", "db"},
		{"connection", "verify", "db"},
	}
	for _, args := range changes {
		code, out, errOut := s.as(t, s.opToken, "", args...)
		if code == exitOK || !strings.Contains(errOut, "olga, an operator") || strings.HasPrefix(strings.TrimSpace(out), "ssk_") {
			t.Errorf("%s as an operator: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	if after := state(); after != before {
		t.Errorf("an operator's refused commands changed the server:\nbefore %s\nafter  %s", before, after)
	}
	refused := 0
	for _, e := range s.auditedAs(t, "admin:olga") {
		if e.Action == "admin.refused" {
			refused++
		}
	}
	// app locks --break reads the locks (allowed) before its DELETE.
	if refused != len(changes) {
		t.Errorf("%d refusals audited, want %d", refused, len(changes))
	}
	// The operator still reads.
	for _, args := range [][]string{{"app", "settings", "shop"}, {"app", "key", "list", "shop"}, {"app", "locks", "shop"},
		{"scope", "defaults"}, {"scope", "server"}, {"app", "application", "shop"}} {
		if code, _, errOut := s.as(t, s.opToken, "", args...); code != exitOK {
			t.Errorf("%s as an operator: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
	}

	// The commands that need the secret key or the data directory refuse
	// --server, saying where to run them.
	for _, args := range [][]string{{"connection", "rekey"}, {"migrate"}, {"admin", "user", "list"}, {"admin", "token", "list"}} {
		code, _, errOut := s.as(t, s.adminToken, "", args...)
		if code != exitUsage || !strings.Contains(errOut, "works on the data directory") {
			t.Errorf("%s --server: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
	}
}

// directory is the server's directory of apps.
func (s *remoteServer) directory() *scopes.Directory { return s.svc.directory }
