package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// An app's page shows the webhooks the app may choose, with help, and saves
// them; a webhook URL that the policy refuses is shown beside its field
// with the flag that would allow it; and an app's declared webhook that the
// list no longer holds is marked as not used.
func TestAppWebhookSettings(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")

	p := tc.get("/admin/apps/shop")
	if hint := p.doc.Find(`[data-testid="allowedWebhooks"] .hint`).Text(); !strings.Contains(hint, "An application never") ||
		!strings.Contains(hint, "sets this list, only an administrator") {
		t.Fatalf("no help for allowedWebhooks: %q", hint)
	}
	if hint := p.doc.Find(`[data-testid="scopeEndWebhook"] .hint`).Text(); !strings.Contains(hint, "--webhook-allow-http") ||
		!strings.Contains(hint, "--webhook-allow-networks") {
		t.Fatalf("the webhook's help does not name the opt-ins: %q", hint)
	}
	form := browserForm(t, p, `[data-testid="settings-form"]`)
	form.Set(scopes.AllowedWebhooks, "https://a.example/end, https://b.example/end")
	mustStatus(t, tc.post("/admin/apps/shop/settings", form), http.StatusSeeOther)
	eff, err := tc.dir.Effective(ctx, "shop")
	if err != nil || eff.Values[scopes.AllowedWebhooks] != "https://a.example/end,https://b.example/end" || eff.From[scopes.AllowedWebhooks] != scopes.FromAdmin {
		t.Fatalf("allowedWebhooks = %q from %s, %v", eff.Values[scopes.AllowedWebhooks], eff.From[scopes.AllowedWebhooks], err)
	}

	p = tc.get("/admin/apps/shop")
	form = browserForm(t, p, `[data-testid="settings-form"]`)
	if got := form.Get(scopes.AllowedWebhooks); got != "https://a.example/end, https://b.example/end" {
		t.Fatalf("the list shown again as %q", got)
	}
	form.Set(scopes.ScopeEndWebhook, "http://hooks.example.com/end")
	p = tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.testid("error-" + scopes.ScopeEndWebhook); !strings.Contains(got, "--webhook-allow-http") {
		t.Fatalf("error-scopeEndWebhook = %q; want the opt-in named", got)
	}
	form.Set(scopes.ScopeEndWebhook, "")
	form.Set(scopes.AllowedWebhooks, "https://a.example/end https://169.254.169.254/latest")
	p = tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.testid("error-" + scopes.AllowedWebhooks); !strings.Contains(got, "link-local") {
		t.Fatalf("error-allowedWebhooks = %q; want the address refused", got)
	}

	if _, err := tc.dir.DeclareSettings(ctx, "shop", map[string]string{scopes.ScopeEndWebhook: "https://b.example/end"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{scopes.AllowedWebhooks: "https://a.example/end"}); err != nil {
		t.Fatal(err)
	}
	p = tc.get("/admin/apps/shop")
	if got := p.testid(scopes.ScopeEndWebhook + "-refused"); !strings.Contains(got, "not listed in allowedWebhooks") {
		t.Fatalf("the declared webhook no longer listed is not marked: %q", got)
	}
}
