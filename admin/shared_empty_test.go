package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// peekShared reads a shared scope as the storage holds it, with app's
// settings.
func (tc *testConsole) peekShared(t *testing.T, app string, key scopes.Key) *scopes.Scope {
	t.Helper()
	ctx := context.Background()
	eff, err := tc.dir.Effective(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := tc.engine.Peek(ctx, eff.Settings, key)
	if err != nil {
		t.Fatalf("peek the %s scope: %v", key.Kind, err)
	}
	return sc
}

// An administrator empties an application scope from its page: a
// confirmation first, then {} as a new version, audited, with a flash.
func TestEmptyApplicationScope(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	sc := tc.writeShared(t, "shop", scopes.ApplicationKey("shop"), `{"visits":42,"motd":"hello"}`)

	p := tc.get("/admin/apps/shop/application")
	link := p.doc.Find(`[data-testid="empty-link"]`)
	if got := strings.TrimSpace(link.Text()); got != "Empty the application scope…" {
		t.Fatalf("the button reads %q", got)
	}
	href := link.AttrOr("href", "")
	if href != "/admin/apps/shop/application/empty?version=2" {
		t.Fatalf("the button leads to %q", href)
	}
	p = tc.get(href)
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("empty-version"); got != "2" {
		t.Errorf("the confirmation shows version %q", got)
	}
	if got := p.testid("empty-size"); !strings.Contains(got, "2 top-level keys") {
		t.Errorf("the confirmation shows the data as %q", got)
	}
	form := browserForm(t, p, `[data-testid="empty-form"]`)
	if form.Get("version") != "2" {
		t.Fatalf("the form empties version %q", form.Get("version"))
	}

	// The box left unticked empties nothing.
	p = tc.post("/admin/apps/shop/application/empty", form)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.testid("error-empty"); got != "Tick the box to confirm." {
		t.Errorf("unticked box: %q", got)
	}
	if got := tc.peekShared(t, "shop", scopes.ApplicationKey("shop")); got.Version != sc.Version {
		t.Fatalf("emptied without the box: version %d", got.Version)
	}

	n := tc.auditCount(t)
	form.Set("confirm", "yes")
	p = tc.post("/admin/apps/shop/application/empty", form)
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/apps/shop/application" {
		t.Errorf("redirected to %q", p.location)
	}
	after := tc.peekShared(t, "shop", scopes.ApplicationKey("shop"))
	if string(after.Data) != "{}" || after.Version != sc.Version+1 {
		t.Fatalf("after emptying: version %d, data %s", after.Version, after.Data)
	}
	if tc.auditCount(t) != n+1 {
		t.Fatal("emptying is not audited once")
	}
	if e := tc.auditOf(t, "application.empty"); e.Target != "shop application" || e.Actor != "admin:admin" ||
		!strings.Contains(e.Detail, "version 2 replaced by {} as version 3") {
		t.Errorf("audited as %+v", e)
	}
	p = tc.get("/admin/apps/shop/application")
	if got := p.testid("flash"); !strings.Contains(got, "The application scope of shop is emptied") || !strings.Contains(got, "version 3") {
		t.Errorf("flash %q", got)
	}
	if p.testid("data-empty") == "" || p.doc.Find(`[data-testid="empty-link"]`).Length() != 0 {
		t.Error("the emptied scope's page shows data or the button")
	}
	if got := tc.get("/admin/apps/shop/application/empty").testid("empty-already"); got == "" {
		t.Error("the confirmation of an empty scope offers to empty it")
	}
}

// A write between the look and the confirmation is never erased: the
// compare-and-set on the version seen refuses, and the page says to look
// again.
func TestEmptySharedScopeStaleVersion(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	tc.writeShared(t, "shop", scopes.ApplicationKey("shop"), `{"n":1}`)
	p := tc.get("/admin/apps/shop/application/empty?version=2")
	form := browserForm(t, p, `[data-testid="empty-form"]`)
	form.Set("confirm", "yes")

	// The app writes meanwhile.
	eff, _ := tc.dir.Effective(ctx, "shop")
	if _, err := tc.engine.SaveIf(ctx, eff.Settings, scopes.ApplicationKey("shop"), json.RawMessage(`{"n":2,"new":true}`), scopes.Cond{}); err != nil {
		t.Fatal(err)
	}
	n := tc.auditCount(t)
	p = tc.post("/admin/apps/shop/application/empty", form)
	mustStatus(t, p, http.StatusSeeOther)
	after := tc.peekShared(t, "shop", scopes.ApplicationKey("shop"))
	if string(after.Data) != `{"n":2,"new":true}` || after.Version != 3 {
		t.Fatalf("the new data was not kept: version %d, %s", after.Version, after.Data)
	}
	if tc.auditCount(t) != n {
		t.Error("a refused empty was audited")
	}
	p = tc.get(p.location)
	if got := p.testid("flash"); !strings.Contains(got, "changed since you looked") || !strings.Contains(got, "Nothing was emptied") {
		t.Errorf("flash %q", got)
	}

	// The confirmation page itself tells, from the version in its link.
	p = tc.get("/admin/apps/shop/application/empty?version=2")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("empty-changed"); !strings.Contains(got, "It changed since you looked") || !strings.Contains(got, "version 3 now") {
		t.Errorf("stale confirmation page: %q", got)
	}
	if p.doc.Find(`[data-testid="empty-form"]`).Length() != 0 {
		t.Error("a stale confirmation page offers the form")
	}
	if href := p.doc.Find(`[data-testid="empty-look-again"]`).AttrOr("href", ""); href != "/admin/apps/shop/application" {
		t.Errorf("look again leads to %q", href)
	}
	// A form without a version empties nothing.
	mustStatus(t, tc.post("/admin/apps/shop/application/empty", url.Values{"confirm": {"yes"}}), http.StatusBadRequest)
}

// The server scope empties the same way, whether or not an app may write
// it.
func TestEmptyServerScope(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"serverScopeWrite": "true"}); err != nil {
		t.Fatal(err)
	}
	tc.writeShared(t, "shop", scopes.ServerKey(), `{"maintenance":true}`)
	p := tc.get("/admin/scope/server")
	href := p.doc.Find(`[data-testid="empty-link"]`).AttrOr("href", "")
	if href != "/admin/scope/server/empty?version=2" || strings.TrimSpace(p.doc.Find(`[data-testid="empty-link"]`).Text()) != "Empty the server scope…" {
		t.Fatalf("the server scope's button: %q", href)
	}
	p = tc.get(href)
	mustStatus(t, p, http.StatusOK)
	form := browserForm(t, p, `[data-testid="empty-form"]`)
	form.Set("confirm", "yes")
	p = tc.post("/admin/scope/server/empty", form)
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/scope/server" {
		t.Errorf("redirected to %q", p.location)
	}
	if after := tc.peekShared(t, "shop", scopes.ServerKey()); string(after.Data) != "{}" || after.Version != 3 {
		t.Fatalf("server scope after emptying: version %d, %s", after.Version, after.Data)
	}
	if e := tc.auditOf(t, "server.empty"); e.Target != "server" {
		t.Errorf("audited as %+v", e)
	}
}

// An operator sees no button, and its POST is refused before the handler
// runs: the data stays.
func TestEmptySharedScopeOperatorRefused(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	tc.writeShared(t, "shop", scopes.ApplicationKey("shop"), `{"n":1}`)
	// The administrator's form, with its version, for the operator to send.
	form := browserForm(t, tc.get("/admin/apps/shop/application/empty?version=2"), `[data-testid="empty-form"]`)
	form.Set("confirm", "yes")

	tc.addUser(t, "olga", scopes.RoleOperator, operatorPassword)
	op := tc.browser(t, "olga", operatorPassword)
	p := op.get("/admin/apps/shop/application")
	mustStatus(t, p, http.StatusOK)
	if p.doc.Find(`[data-testid="empty-link"]`).Length() != 0 {
		t.Error("an operator sees the button")
	}
	p = op.get("/admin/apps/shop/application/empty")
	mustStatus(t, p, http.StatusOK)
	if p.doc.Find(`[data-testid="empty-form"]`).Length() != 0 || p.testid("readonly-note") == "" {
		t.Error("an operator is offered the form")
	}
	form.Set("_csrf", "")
	p = op.post("/admin/apps/shop/application/empty", form)
	mustStatus(t, p, http.StatusForbidden)
	p = op.post("/admin/scope/server/empty", url.Values{"version": {"1"}, "confirm": {"yes"}})
	mustStatus(t, p, http.StatusForbidden)
	if after := tc.peekShared(t, "shop", scopes.ApplicationKey("shop")); string(after.Data) != `{"n":1}` {
		t.Fatalf("an operator emptied the scope: %s", after.Data)
	}
}

// An app that does not exist has no application scope to empty.
func TestEmptySharedScopeUnknownApp(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	mustStatus(t, tc.get("/admin/apps/nosuch/application/empty"), http.StatusNotFound)
	tc.get("/admin/apps")
	mustStatus(t, tc.post("/admin/apps/nosuch/application/empty", url.Values{"version": {"1"}, "confirm": {"yes"}}), http.StatusNotFound)
}
