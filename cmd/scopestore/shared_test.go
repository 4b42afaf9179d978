package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// The shared scopes' settings have their flags, made from their names;
// serverStorage is the server defaults' only, refused for an app with the
// Directory's message.
func TestCLI_SharedScopeSettings(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, dir, "app", "create", "shop")
	out := mustCLI(t, dir, "app", "settings", "shop", "--application-storage", "FILE", "--application-timeout", "1d", "--server-scope-write", "true")
	for setting, want := range map[string]string{"applicationStorage": "file set by an administrator",
		"applicationTimeout": "1d set by an administrator", "serverScopeWrite": "true set by an administrator",
		"serverStorage": "memory built-in default"} {
		if !hasRow(out, setting, want) {
			t.Errorf("no row %s %s:\n%s", setting, want, out)
		}
	}

	code, stdout, errOut := cli(t, dir, "", "app", "settings", "shop", "--server-storage", "file")
	if code != exitUsage || stdout != "" ||
		!strings.Contains(errOut, "serverStorage is set for the whole deployment, not for one app: set it with `scopestore scope defaults --server-storage …`") {
		t.Errorf("--server-storage on an app: exit %d\nstdout: %s\nstderr: %s", code, stdout, errOut)
	}
	code, _, errOut = cli(t, dir, "", "app", "settings", "shop", "--application-storage", "nowhere")
	if code != exitUsage || !strings.Contains(errOut, `applicationStorage: unknown storage "nowhere"`) {
		t.Errorf("an unknown application storage: exit %d: %s", code, errOut)
	}
	code, _, errOut = cli(t, dir, "", "app", "settings", "shop", "--application-timeout", "forever")
	if code != exitUsage || !strings.Contains(errOut, "applicationTimeout") {
		t.Errorf("a bad application timeout: exit %d: %s", code, errOut)
	}

	out = mustCLI(t, dir, "scope", "defaults", "--server-storage", "file", "--application-storage", "file")
	if !hasRow(out, "serverStorage", "file server default") || !hasRow(out, "applicationStorage", "file server default") {
		t.Errorf("scope defaults:\n%s", out)
	}
	out = mustCLI(t, dir, "app", "settings", "shop", "--application-storage", "inherit")
	if !hasRow(out, "applicationStorage", "file server default") || !hasRow(out, "serverStorage", "file server default") {
		t.Errorf("the app does not inherit the shared storages:\n%s", out)
	}

	_, help, _ := cli(t, dir, "", "app", "settings", "--help")
	for _, flag := range []string{"-application-storage", "-application-timeout", "-server-scope-write", "-server-storage"} {
		if !strings.Contains(help, flag) {
			t.Errorf("app settings --help lacks %s", flag)
		}
	}
}

// app application and scope server print the shared scopes as JSON,
// masked as the console masks them, without starting one that does not
// exist; --reveal is audited.
func TestCLI_SharedScopes(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	mustCLI(t, dir, "app", "create", "shop")
	mustCLI(t, dir, "app", "create", "blog")

	// In memory they live inside the server: out of the command's reach.
	code, stdout, errOut := cli(t, dir, "", "app", "application", "SHOP")
	if code != exitFailure || stdout != "" || !strings.Contains(errOut, `the application scope of shop lives in storage "memory"`) ||
		!strings.Contains(errOut, "/admin/apps/shop/application") {
		t.Errorf("an application scope in memory: exit %d\nstdout: %s\nstderr: %s", code, stdout, errOut)
	}
	code, _, errOut = cli(t, dir, "", "scope", "server")
	if code != exitFailure || !strings.Contains(errOut, `the server scope lives in storage "memory"`) {
		t.Errorf("the server scope in memory: exit %d: %s", code, errOut)
	}

	mustCLI(t, dir, "scope", "defaults", "--application-storage", "file", "--server-storage", "file")
	mustCLI(t, dir, "app", "settings", "shop", "--sensitive-keys", "dob", "--server-scope-write", "true")
	mustCLI(t, dir, "app", "settings", "blog", "--sensitive-keys", "licence")

	code, stdout, errOut = cli(t, dir, "", "app", "application", "shop")
	if code != exitOK || stdout != "" || !strings.Contains(errOut, "There is no application scope of shop yet") ||
		!strings.Contains(errOut, "/api/v1/apps/shop/application") {
		t.Errorf("no application scope yet: exit %d\nstdout: %s\nstderr: %s", code, stdout, errOut)
	}
	svc := openServices(t, dir)
	eff, err := svc.directory.Effective(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.engine.Peek(ctx, eff.Settings, scopes.ApplicationKey("shop")); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Fatalf("reading started the application scope: %v", err)
	}

	for _, key := range []scopes.Key{scopes.ApplicationKey("shop"), scopes.ServerKey()} {
		if _, err := svc.engine.LoadShared(ctx, eff.Settings, key); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.engine.SaveIf(ctx, eff.Settings, key,
			json.RawMessage(`{"visits":42,"apiPassword":"hunter2","owner":{"DOB":"1970-01-01"},"licence":"ABC-123"}`), scopes.Cond{}); err != nil {
			t.Fatal(err)
		}
	}

	out := mustCLI(t, dir, "app", "application", "shop")
	var sc map[string]any
	if err := json.Unmarshal([]byte(out), &sc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if sc["applicationname"] != "shop" || sc["version"] != float64(2) || sc["storage"] != "file" || sc["cfid"] != nil {
		t.Errorf("application scope %v", sc)
	}
	for _, want := range []string{`"apiPassword": "••••"`, `"DOB": "••••"`, `"visits": 42`, `"licence": "ABC-123"`} {
		if !strings.Contains(out, want) {
			t.Errorf("app application lacks %s:\n%s", want, out)
		}
	}
	entries, err := svc.config.Audit(ctx, 0, 1)
	if err != nil || len(entries) != 1 || entries[0].Action != "application.view" || entries[0].Target != "shop application" {
		t.Fatalf("app application audited as %+v, %v", entries, err)
	}
	out = mustCLI(t, dir, "app", "application", "shop", "--reveal")
	if !strings.Contains(out, "hunter2") || !strings.Contains(out, "1970-01-01") {
		t.Errorf("--reveal hides a value:\n%s", out)
	}
	if entries, _ = svc.config.Audit(ctx, 0, 1); entries[0].Action != "application.reveal" || !strings.HasPrefix(entries[0].Actor, "cli:") {
		t.Errorf("--reveal audited as %+v", entries[0])
	}

	// The server scope is masked with every app's sensitive keys.
	code, out, errOut = cli(t, dir, "", "scope", "server")
	if code != exitOK {
		t.Fatalf("scope server: exit %d: %s", code, errOut)
	}
	for _, want := range []string{`"licence": "••••"`, `"DOB": "••••"`, `"apiPassword": "••••"`, `"visits": 42`} {
		if !strings.Contains(out, want) {
			t.Errorf("scope server lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "applicationname") || strings.Contains(out, "cfid") {
		t.Errorf("the server scope names an app or a cfid:\n%s", out)
	}
	if !strings.Contains(errOut, "Apps that may write the server scope: shop.") {
		t.Errorf("scope server's stderr: %s", errOut)
	}
	if entries, _ = svc.config.Audit(ctx, 0, 1); entries[0].Action != "server.view" || entries[0].Target != "server" {
		t.Errorf("scope server audited as %+v", entries[0])
	}
}
