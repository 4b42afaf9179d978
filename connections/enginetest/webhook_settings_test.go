package enginetest_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// An app's API key chooses its scopeEndWebhook only among the URLs an
// administrator allowed for it, or none; it never sets the list itself. An
// administrator sets any URL that the webhook policy accepts.
func TestDirectory_AppChoosesOnlyAllowedWebhooks(t *testing.T) {
	ctx := context.Background()
	d := newDirectory(t)
	if _, err := d.CreateApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	declare := func(url string) (scopes.Effective, error) {
		return d.DeclareSettings(ctx, "shop", map[string]string{scopes.ScopeEndWebhook: url})
	}
	forbidden := func(what string, err error, words ...string) {
		t.Helper()
		if scopes.ErrorCode(err) != scopes.EForbidden {
			t.Fatalf("%s: got %v; want forbidden", what, err)
		}
		for _, w := range words {
			if !strings.Contains(scopes.ErrorMessage(err), w) {
				t.Fatalf("%s: %q does not say %q", what, scopes.ErrorMessage(err), w)
			}
		}
	}

	_, err := declare("https://hooks.example.com/end")
	forbidden("no list yet", err, "allowedWebhooks", "none yet")
	for _, url := range []string{"http://127.0.0.1:8080/", "https://169.254.169.254/latest/meta-data", "https://0x7f000001/"} {
		_, err := declare(url)
		forbidden(url, err, "allowedWebhooks")
	}
	_, err = d.DeclareSettings(ctx, "shop", map[string]string{scopes.AllowedWebhooks: "https://evil.example/"})
	forbidden("declaring the list", err, "administrator only", "--allowed-webhooks")

	// The server defaults' list is the app's until the app has its own.
	if _, err := d.SetServerSettings(ctx, map[string]string{scopes.AllowedWebhooks: "https://hooks.example.com/end"}); err != nil {
		t.Fatal(err)
	}
	eff, err := declare("https://hooks.example.com/end")
	if err != nil || eff.Settings.EndWebhook != "https://hooks.example.com/end" || eff.From[scopes.ScopeEndWebhook] != scopes.FromApp {
		t.Fatalf("declaring a URL of the server's list: %v, %+v", err, eff.Values)
	}
	if _, err := d.SetAppSettings(ctx, "shop", map[string]string{scopes.AllowedWebhooks: "https://a.example/end, https://b.example/end\nhttps://a.example/end"}); err != nil {
		t.Fatal(err)
	}
	if eff, err := d.Effective(ctx, "shop"); err != nil || eff.Values[scopes.AllowedWebhooks] != "https://a.example/end,https://b.example/end" {
		t.Fatalf("the app's list: %v %q", err, eff.Values[scopes.AllowedWebhooks])
	}
	if _, err := declare("https://hooks.example.com/end"); scopes.ErrorCode(err) != scopes.EForbidden {
		t.Fatalf("the app's own list replaces the server's: got %v", err)
	}
	if eff, err := declare("https://b.example/end"); err != nil || eff.Settings.EndWebhook != "https://b.example/end" {
		t.Fatalf("declaring a listed URL: %v %q", err, eff.Settings.EndWebhook)
	}

	// Taken off the list, the app's choice stops being used, and says why.
	if _, err := d.SetAppSettings(ctx, "shop", map[string]string{scopes.AllowedWebhooks: "https://a.example/end"}); err != nil {
		t.Fatal(err)
	}
	eff, err = d.Effective(ctx, "shop")
	if err != nil || eff.Settings.EndWebhook != "" || !strings.Contains(eff.Refused[scopes.ScopeEndWebhook], "allowedWebhooks") {
		t.Fatalf("a declared URL no longer listed: %v, webhook %q, refused %q", err, eff.Settings.EndWebhook, eff.Refused)
	}
	if eff, err := declare(""); err != nil || eff.Settings.EndWebhook != "" || eff.Refused != nil {
		t.Fatalf("declaring none: %v %+v", err, eff)
	}

	// An administrator sets the webhook itself, unlisted.
	if eff, err := d.SetAppSettings(ctx, "shop", map[string]string{scopes.ScopeEndWebhook: "https://c.example/end"}); err != nil ||
		eff.Settings.EndWebhook != "https://c.example/end" {
		t.Fatalf("an administrator's webhook: %v %q", err, eff.Settings.EndWebhook)
	}
}

// An administrator's webhook URL is refused when set if the policy would
// refuse every delivery to it: plain http without the opt-in, an internal
// address outside the allowed networks, an odd spelling of an address.
func TestDirectory_WebhookPolicyWhenSet(t *testing.T) {
	ctx := context.Background()
	d := newDirectory(t)
	if _, err := d.CreateApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ setting, url, says string }{
		{scopes.ScopeEndWebhook, "http://hooks.example.com/end", "--webhook-allow-http"},
		{scopes.ScopeEndWebhook, "https://127.0.0.1:8443/end", "--webhook-allow-networks"},
		{scopes.ScopeEndWebhook, "https://[::1]/end", "loopback"},
		{scopes.ScopeEndWebhook, "https://2130706433/end", "spells an IP address"},
		{scopes.AllowedWebhooks, "https://ok.example/end https://10.0.0.5/end", "private"},
	} {
		_, err := d.SetAppSettings(ctx, "shop", map[string]string{c.setting: c.url})
		if scopes.ErrorCode(err) != scopes.EInvalidSettings || !strings.Contains(scopes.ErrorMessage(err), c.says) ||
			!strings.HasPrefix(scopes.ErrorMessage(err), c.setting+":") {
			t.Errorf("app %s %s: got %v; want a refusal naming the setting and saying %q", c.setting, c.url, err, c.says)
		}
		if _, err := d.SetServerSettings(ctx, map[string]string{c.setting: c.url}); scopes.ErrorCode(err) != scopes.EInvalidSettings {
			t.Errorf("server %s %s: got %v; want a refusal", c.setting, c.url, err)
		}
	}
	d.Webhooks = scopes.WebhookPolicy{AllowHTTP: true, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	if _, err := d.SetAppSettings(ctx, "shop", map[string]string{scopes.ScopeEndWebhook: "http://127.0.0.1:8080/end"}); err != nil {
		t.Fatalf("with the opt-ins: %v", err)
	}
}
