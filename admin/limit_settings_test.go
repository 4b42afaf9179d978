package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// TestAppLimitSettings: an app's page shows its limits with their built-in
// defaults and help, saves them, and shows every bad value beside its field
// at once, changing nothing.
func TestAppLimitSettings(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")

	p := tc.get("/admin/apps/shop")
	for _, name := range []string{scopes.MaxScopes, scopes.MaxMemory, scopes.MaxCreateRate} {
		if p.doc.Find(`[data-testid="`+name+`"] .hint`).Length() != 1 {
			t.Errorf("no %s field with help on the app's page", name)
		}
	}
	if ph, _ := p.doc.Find(`[data-testid="maxMemory-value"]`).Attr("placeholder"); ph != "256MiB" {
		t.Errorf("maxMemory placeholder = %q; want the inherited 256MiB", ph)
	}
	form := browserForm(t, p, `[data-testid="settings-form"]`)
	form.Set(scopes.MaxScopes, "5000")
	form.Set(scopes.MaxMemory, "64 MiB")
	form.Set(scopes.MaxCreateRate, "0")
	mustStatus(t, tc.post("/admin/apps/shop/settings", form), http.StatusSeeOther)
	eff, err := tc.dir.Effective(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if l := eff.Settings.Limits; l.MaxScopes != 5000 || l.MaxMemory != 64<<20 || l.MaxCreateRate != 0 || eff.From[scopes.MaxScopes] != scopes.FromAdmin {
		t.Fatalf("limits = %+v from %s", l, eff.From[scopes.MaxScopes])
	}
	if got := tc.get("/admin/apps/shop").doc.Find(`[data-testid="maxMemory-value"]`).AttrOr("value", ""); got != "64MiB" {
		t.Errorf("maxMemory shown again as %q", got)
	}

	form.Set(scopes.MaxScopes, "-1")
	form.Set(scopes.MaxMemory, "lots")
	p = tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.testid("error-" + scopes.MaxScopes); !strings.Contains(got, "whole number") {
		t.Errorf("error-maxScopes = %q", got)
	}
	if got := p.testid("error-" + scopes.MaxMemory); !strings.Contains(got, "not a size") {
		t.Errorf("error-maxMemory = %q", got)
	}
	if eff, _ := tc.dir.Effective(ctx, "shop"); eff.Settings.Limits.MaxScopes != 5000 {
		t.Errorf("a refused form changed maxScopes to %d", eff.Settings.Limits.MaxScopes)
	}
}
