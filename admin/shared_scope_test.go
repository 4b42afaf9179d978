package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// writeShared starts a shared scope, as the app's first GET does, and
// saves data into it, with app's settings (the server defaults' for the
// server scope: every app resolves the same serverStorage).
func (tc *testConsole) writeShared(t *testing.T, app string, key scopes.Key, data string) *scopes.Scope {
	t.Helper()
	ctx := context.Background()
	eff, err := tc.dir.Effective(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.engine.LoadShared(ctx, eff.Settings, key); err != nil {
		t.Fatalf("start the %s scope: %v", key.Kind, err)
	}
	sc, err := tc.engine.SaveIf(ctx, eff.Settings, key, json.RawMessage(data), scopes.Cond{})
	if err != nil {
		t.Fatalf("save the %s scope: %v", key.Kind, err)
	}
	return sc
}

// The Scope page sets where the application and server scopes live, the
// application scope's timeout and who writes the server scope, and warns
// that memory keeps them per instance.
func TestScopePageSharedSettings(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	p, form := tc.scopeForm(t)
	for _, name := range []string{"applicationStorage", "serverStorage"} {
		if p.doc.Find("select#"+name).Length() != 1 {
			t.Errorf("no %s select on the Scope page", name)
		}
		warn := p.doc.Find(`[data-testid="` + name + `-per-instance"]`)
		if !warn.HasClass("warn") || !strings.Contains(warn.Text(), "per instance") || !strings.Contains(warn.Text(), "cache or datasource shares it") {
			t.Errorf("%s in memory is not warned of: %q", name, warn.Text())
		}
	}
	if got := p.doc.Find(`#applicationStorage option[value="inherit"]`).Text(); got != "Built-in default (memory)" {
		t.Errorf("the inherit choice of the application storage reads %q", got)
	}
	if got := p.doc.Find(`#applicationTimeout\.days`).AttrOr("placeholder", ""); got != "1" {
		t.Errorf("the application timeout's days placeholder is %q, want 1", got)
	}
	if p.doc.Find(`#serverScopeWrite-true`).Length() != 1 {
		t.Error("no serverScopeWrite choice on the Scope page")
	}
	if got := p.testid("summary-server"); !strings.Contains(got, "No server scope yet") || !strings.Contains(got, "no application may write it") {
		t.Errorf("the server scope summary reads %q", got)
	}

	form.Set("applicationStorage", "file")
	form.Set("serverStorage", "FILE")
	form.Set("applicationTimeout.hours", "6")
	p = tc.post("/admin/scope", form)
	mustStatus(t, p, http.StatusOK)
	for _, k := range []string{"application", "server"} {
		if got := p.testid("to-" + k); got != "file" {
			t.Errorf("the confirmation moves the %s scope to %q", k, got)
		}
	}
	if p.testid("shared-not-moved") == "" {
		t.Errorf("the confirmation does not say the shared scopes are not moved:\n%s", p.testid("storage-change"))
	}
	if got := p.testid("move--server"); !strings.Contains(got, "every application") || !strings.Contains(got, "none: not started") {
		t.Errorf("the server scope's move reads %q", got)
	}
	mustStatus(t, tc.confirmStorageChange(t, p), http.StatusSeeOther)
	eff, _ := tc.dir.ServerSettings(ctx)
	if s := eff.Settings; s.Application.Storage != "file" || s.Server.Storage != "file" || s.Application.Timeout != 6*time.Hour {
		t.Fatalf("saved %+v / %+v", s.Application, s.Server)
	}
	p = tc.get("/admin/scope")
	for _, name := range []string{"applicationStorage", "serverStorage", "applicationTimeout"} {
		if got := p.testid("source-" + name); got != "set here" {
			t.Errorf("source of %s = %q", name, got)
		}
	}
	if p.doc.Find(`[data-testid="serverStorage-per-instance"]`).HasClass("flash") {
		t.Error("the server scope in file is warned of as if in memory")
	}

	// Saving the form untouched writes nothing.
	n := tc.auditCount(t)
	mustStatus(t, tc.post("/admin/scope", browserForm(t, p, `[data-testid="settings-form"]`)), http.StatusSeeOther)
	if tc.auditCount(t) != n {
		t.Error("an untouched form changed the settings")
	}
}

// An app's page sets its application scope and whether it writes the
// server scope, but not where the server scope lives; bad values are shown
// beside their field.
func TestAppPageSharedSettings(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	p := tc.get("/admin/apps/shop")
	mustStatus(t, p, http.StatusOK)
	if p.doc.Find("select#serverStorage").Length() != 0 {
		t.Error("an app's page offers to set the server scope's storage")
	}
	if got := p.testid("serverStorage-elsewhere"); !strings.Contains(got, "memory") || !strings.Contains(got, "Scope page") {
		t.Errorf("the app's page says of the server storage %q", got)
	}
	if got := p.testid("effective-serverScopeWrite"); !strings.Contains(got, "no") {
		t.Errorf("effective serverScopeWrite row %q", got)
	}
	form := browserForm(t, p, `[data-testid="settings-form"]`)
	if form.Get("serverScopeWrite") != "inherit" || form.Get("applicationStorage") != "inherit" {
		t.Fatalf("a fresh app's form holds %v", form)
	}
	if form.Has("serverStorage") {
		t.Errorf("the app's form sends serverStorage=%q", form.Get("serverStorage"))
	}

	bad := browserForm(t, p, `[data-testid="settings-form"]`)
	bad.Set("applicationStorage", "nowhere")
	bad.Set("applicationTimeout.days", "-1")
	bad.Set("serverScopeWrite", "maybe")
	p = tc.post("/admin/apps/shop/settings", bad)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	for name, want := range map[string]string{
		"applicationStorage": "Application scope storage nowhere is not available",
		"applicationTimeout": "Application scope timeout must be whole numbers",
		"serverScopeWrite":   "May write the server scope must be yes, no or inherited",
	} {
		if got := p.testid("error-" + name); !strings.Contains(got, want) {
			t.Errorf("error beside %s = %q, want %q", name, got, want)
		}
	}

	form.Set("serverScopeWrite", "true")
	form.Set("applicationTimeout.days", "2")
	// A form that sends serverStorage anyway (not a browser's) does not set it.
	form.Set("serverStorage", "file")
	p = tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusSeeOther)
	eff, _ := tc.dir.Effective(ctx, "shop")
	if s := eff.Settings; !s.ServerScopeWrite || s.Application.Timeout != 48*time.Hour || s.Server.Storage != "memory" {
		t.Fatalf("saved serverScopeWrite %v, application %+v, server %+v", s.ServerScopeWrite, s.Application, s.Server)
	}
	p = tc.get("/admin/apps/shop")
	if got := p.testid("source-serverScopeWrite"); got != "set by an administrator" {
		t.Errorf("source of serverScopeWrite = %q", got)
	}
	if got := p.testid("summary-server-write"); !strings.Contains(got, "shop may write the server scope") {
		t.Errorf("the app's page says %q", got)
	}
}

// The application scope's page shows it read without a visit, its data
// masked as a session's is, and an empty state that does not start it.
func TestApplicationScopePage(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"sensitiveKeys": "dob"}); err != nil {
		t.Fatal(err)
	}

	p := tc.get("/admin/apps/shop")
	if got := p.testid("summary-application"); !strings.Contains(got, "No application scope yet") {
		t.Errorf("the app page's summary reads %q", got)
	}
	p = tc.get("/admin/apps/shop/application")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("shared-empty"); !strings.Contains(got, "GET, PUT or PATCH /api/v1/apps/shop/application") || !strings.Contains(got, "does not start it") {
		t.Errorf("empty state %q", got)
	}
	if p.testid("per-instance") == "" {
		t.Error("no per-instance warning for an application scope in memory")
	}
	if p.doc.Find(`[data-testid="data"]`).Length() != 0 {
		t.Error("a data card without a scope")
	}
	eff, _ := tc.dir.Effective(ctx, "shop")
	if _, err := tc.engine.Peek(ctx, eff.Settings, scopes.ApplicationKey("shop")); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Fatalf("looking started the application scope: %v", err)
	}
	if got := tc.get("/admin/apps/shop/application/raw"); got.status != http.StatusNotFound {
		t.Errorf("raw JSON of no scope: %d", got.status)
	}

	sc := tc.writeShared(t, "shop", scopes.ApplicationKey("shop"),
		`{"visits":42,"apiPassword":"hunter2","owner":{"DOB":"1970-01-01","name":"Ann"}}`)
	n := tc.auditCount(t)
	p = tc.get("/admin/apps/shop/application")
	mustStatus(t, p, http.StatusOK)
	for name, want := range map[string]string{"value-version": "2", "value-storage": "memory", "value-applicationname": "shop",
		"data-visits": "42", "masked-apiPassword": "••••", "data-name": "Ann", "masked-DOB": "••••"} {
		if got := p.testid(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if strings.Contains(p.body, "hunter2") || strings.Contains(p.body, "1970-01-01") {
		t.Error("the page shows a sensitive value")
	}
	if p.testid("value-timecreated") == "" || !strings.Contains(p.testid("builtin-expires"), "in ") {
		t.Errorf("built-ins: %q", p.testid("builtins"))
	}
	if href := p.doc.Find(`[data-testid="locks-link"]`).AttrOr("href", ""); href != "/admin/apps/shop#locks" {
		t.Errorf("locks link %q", href)
	}
	if tc.auditCount(t) != n+1 {
		t.Fatal("opening the application scope is not audited")
	}
	if e := tc.lastAudit(t); e.Action != "application.view" || e.Target != "shop application" || e.Actor != "admin:admin" {
		t.Errorf("audited as %+v", e)
	}
	after, _ := tc.engine.Peek(ctx, eff.Settings, scopes.ApplicationKey("shop"))
	if !after.LastVisit.Equal(sc.LastVisit) || after.Version != sc.Version {
		t.Errorf("looking was a visit: %v → %v", sc.LastVisit, after.LastVisit)
	}

	raw := tc.get("/admin/apps/shop/application/raw")
	mustStatus(t, raw, http.StatusOK)
	if got := raw.testid("raw-json"); !strings.Contains(got, `"apiPassword":"••••"`) || strings.Contains(got, "hunter2") {
		t.Errorf("raw JSON %q", got)
	}
	if href := raw.doc.Find(`[data-testid="back"]`).AttrOr("href", ""); href != "/admin/apps/shop/application" {
		t.Errorf("raw page leads back to %q", href)
	}

	p = tc.get("/admin/apps/shop")
	if got := p.testid("summary-version"); got != "2" {
		t.Errorf("the app page's summary shows version %q", got)
	}
	if strings.Contains(p.body, "hunter2") || p.doc.Find(`[data-testid="data-visits"]`).Length() != 0 {
		t.Error("the app page shows the application scope's data")
	}
}

// The server scope's page shows it with the apps that may write it, each
// leading to its locks, and masks with every app's sensitive keys.
func TestServerScopePage(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	tc.createApp(t, "blog")
	p := tc.get("/admin/scope/server")
	mustStatus(t, p, http.StatusOK)
	if p.testid("shared-empty") == "" || p.testid("writers-none") == "" {
		t.Errorf("empty server scope page:\n%s", p.body)
	}
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"serverScopeWrite": "true"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.dir.SetAppSettings(ctx, "blog", map[string]string{"sensitiveKeys": "licence"}); err != nil {
		t.Fatal(err)
	}
	tc.writeShared(t, "shop", scopes.ServerKey(), `{"maintenance":false,"licence":"ABC-123","smtpPassword":"x1"}`)

	p = tc.get("/admin/scope/server")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("writers"); !strings.Contains(got, "shop") || strings.Contains(got, "blog") {
		t.Errorf("writers %q", got)
	}
	if href := p.doc.Find(`[data-testid="writer-locks-shop"]`).AttrOr("href", ""); href != "/admin/apps/shop#locks" {
		t.Errorf("shop's locks link %q", href)
	}
	for name, want := range map[string]string{"masked-licence": "••••", "masked-smtpPassword": "••••", "data-maintenance": "false",
		"shared-storage": "memory"} {
		if got := p.testid(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if p.doc.Find(`[data-testid="builtin-cfid"], [data-testid="builtin-applicationname"]`).Length() != 0 {
		t.Error("the server scope shows a cfid or an application name")
	}
	if e := tc.lastAudit(t); e.Action != "server.view" || e.Target != "server" {
		t.Errorf("audited as %+v", e)
	}

	p = tc.get("/admin/scope")
	if got := strings.Join(strings.Fields(p.testid("summary-writers")), " "); got != "written by shop" {
		t.Errorf("Scope page summary: %q", got)
	}
	if got := p.testid("summary-version"); got != "2" {
		t.Errorf("Scope page summary version %q", got)
	}
}

// Moving an app's application scope to another storage is confirmed
// first, and says the scope stays behind.
func TestApplicationStorageChangeIsConfirmed(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	tc.writeShared(t, "shop", scopes.ApplicationKey("shop"), `{"n":1}`)
	p := tc.get("/admin/apps/shop")
	form := browserForm(t, p, `[data-testid="settings-form"]`)
	form.Set("applicationStorage", "file")
	p = tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("move-shop-application"); !strings.Contains(got, "1, with its data") || !strings.Contains(got, "application scope") {
		t.Errorf("the move reads %q", got)
	}
	if p.testid("shared-not-moved") == "" {
		t.Error("the page does not say the application scope is not moved")
	}
	if eff, _ := tc.dir.Effective(ctx, "shop"); eff.Settings.Application.Storage != "memory" {
		t.Fatal("saved before confirmation")
	}
	mustStatus(t, tc.confirmStorageChange(t, p), http.StatusSeeOther)
	if eff, _ := tc.dir.Effective(ctx, "shop"); eff.Settings.Application.Storage != "file" {
		t.Fatalf("not saved: %+v", eff.Settings.Application)
	}
	if got := tc.get("/admin/apps/shop").testid("summary-application"); !strings.Contains(got, "No application scope yet") {
		t.Errorf("after the move the summary reads %q", got)
	}
}
