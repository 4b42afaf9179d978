package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/scopestore/scopestore/scopes"
)

// scopeForm reads the Scope page and returns its form as a browser would send it.
func (tc *testConsole) scopeForm(t *testing.T) (page, url.Values) {
	t.Helper()
	p := tc.get("/admin/scope")
	mustStatus(t, p, http.StatusOK)
	return p, browserForm(t, p, `[data-testid="settings-form"]`)
}

func TestScopePageShowsBuiltInDefaults(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	p, form := tc.scopeForm(t)
	for _, name := range scopes.SettingNames() {
		if got := p.testid("source-" + name); got != "built-in default" {
			t.Errorf("source of %s = %q, want built-in default", name, got)
		}
	}
	if form.Get("sessionStorage") != "inherit" || form.Get("sessionCluster") != "inherit" || form.Get("sessionTimeout.minutes") != "" {
		t.Errorf("a fresh form holds %v", form)
	}
	if got := p.doc.Find(`#sessionStorage option[value="inherit"]`).Text(); got != "Built-in default (memory)" {
		t.Errorf("the inherit choice of the session storage reads %q", got)
	}
	if got := p.doc.Find(`#clientStorage option[value="inherit"]`).Text(); got != "Built-in default (file)" {
		t.Errorf("the inherit choice of the client storage reads %q", got)
	}
	if got := p.doc.Find(`#clientTimeout\.days`).AttrOr("placeholder", ""); got != "90" {
		t.Errorf("the client timeout's days placeholder is %q, want 90", got)
	}
	if !strings.Contains(p.testid("session-type-warning"), "needs cfml") {
		t.Errorf("no j2ee warning: %q", p.testid("session-type-warning"))
	}
	// cookie is a storage of the client scope only.
	if p.doc.Find(`#sessionStorage option[value="cookie"]`).Length() != 0 {
		t.Error("cookie storage is offered for the session scope")
	}
	if got := p.doc.Find(`#clientStorage optgroup[label="Built-in"] option[value="cookie"]`).Length(); got != 1 {
		t.Errorf("cookie storage is offered %d times among the client scope's built-in storages, want once", got)
	}
}

func TestScopeStorageSelectListsOnlyStorageConnections(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	for _, c := range []scopes.Connection{
		{Name: "Sessions", Type: "redis", Storage: true, Params: map[string]string{"url": "redis://127.0.0.1:1"}},
		{Name: "plain", Type: "redis", Storage: false, Params: map[string]string{"url": "redis://127.0.0.1:1"}},
		{Name: "db1", Type: "sqlite", Storage: true, Params: map[string]string{"file": filepath.Join(t.TempDir(), "s.db")}},
	} {
		if err := tc.mgr.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	tc.login()
	p, _ := tc.scopeForm(t)
	groups := map[string][]string{}
	p.doc.Find(`#sessionStorage optgroup`).Each(func(_ int, g *goquery.Selection) {
		g.Find("option").Each(func(_ int, o *goquery.Selection) {
			groups[g.AttrOr("label", "")] = append(groups[g.AttrOr("label", "")], o.AttrOr("value", ""))
		})
	})
	want := map[string][]string{"Built-in": {"memory", "file"}, "Cache": {"sessions"}, "Datasource": {"db1"}}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("session storage groups %v, want %v", groups, want)
	}
}

func TestScopeSaveAndReset(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	_, form := tc.scopeForm(t)
	form.Set("sessionStorage", "file")
	form.Set("sessionCluster", "true")
	form.Set("sessionTimeout.minutes", "45")
	form.Set("clientManagement", "false")
	p := tc.confirmStorageChange(t, tc.post("/admin/scope", form))
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/scope" {
		t.Fatalf("save → %q", p.location)
	}
	p = tc.get("/admin/scope")
	if got := p.testid("flash"); got != "The server defaults are saved." {
		t.Errorf("flash %q", got)
	}
	eff, _ := tc.dir.ServerSettings(ctx)
	s := eff.Settings
	if s.Session.Storage != "file" || !s.Session.Cluster || s.Session.Timeout.Minutes() != 45 || s.Client.Management {
		t.Errorf("saved %+v", s)
	}
	for name, want := range map[string]string{"sessionStorage": "set here", "sessionTimeout": "set here",
		"clientManagement": "set here", "sessionType": "built-in default", "clientStorage": "built-in default"} {
		if got := p.testid("source-" + name); got != want {
			t.Errorf("source of %s = %q, want %q", name, got, want)
		}
	}
	form = browserForm(t, p, `[data-testid="settings-form"]`)
	if form.Get("sessionTimeout.days") != "0" || form.Get("sessionTimeout.minutes") != "45" || form.Get("sessionStorage") != "file" {
		t.Errorf("the saved values are not shown: %v", form)
	}

	// Saving the form untouched changes nothing and writes nothing to the log.
	entries, _ := tc.config.Audit(ctx, 0, 100)
	mustStatus(t, tc.post("/admin/scope", form), http.StatusSeeOther)
	if again, _ := tc.config.Audit(ctx, 0, 100); len(again) != len(entries) {
		t.Errorf("an untouched form wrote %d audit entries", len(again)-len(entries))
	}

	// Reset to the built-in default.
	for _, unit := range []string{"days", "hours", "minutes", "seconds"} {
		form.Set("sessionTimeout."+unit, "")
	}
	form.Set("sessionStorage", "inherit")
	mustStatus(t, tc.confirmStorageChange(t, tc.post("/admin/scope", form)), http.StatusSeeOther)
	eff, _ = tc.dir.ServerSettings(ctx)
	if eff.From["sessionStorage"] != scopes.FromDefault || eff.From["sessionTimeout"] != scopes.FromDefault ||
		eff.Values["sessionTimeout"] != "30m" || eff.From["sessionCluster"] != scopes.FromServer {
		t.Errorf("after reset: %v from %v", eff.Values, eff.From)
	}
}

// The sensitive keys typed on the Scope page are kept canonical, shown as
// saved, and inherited by an app that declares none.
func TestScopeSensitiveKeys(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	_, form := tc.scopeForm(t)
	form.Set("sensitiveKeys", " dob, MRN ,, DOB ")
	mustStatus(t, tc.post("/admin/scope", form), http.StatusSeeOther)
	eff, _ := tc.dir.ServerSettings(ctx)
	if eff.Values["sensitiveKeys"] != "dob,MRN" || eff.From["sensitiveKeys"] != scopes.FromServer {
		t.Errorf("saved sensitiveKeys %q from %s, want dob,MRN from the server defaults", eff.Values["sensitiveKeys"], eff.From["sensitiveKeys"])
	}
	p, form := tc.scopeForm(t)
	if got := form.Get("sensitiveKeys"); got != "dob, MRN" {
		t.Errorf("the form shows %q, want dob, MRN", got)
	}
	if !strings.Contains(p.testid("sensitiveKeys"), "password") {
		t.Error("the field does not say that the built-in words still apply")
	}
	tc.createApp(t, "shop")
	app, err := tc.dir.Effective(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if got := app.Settings.SensitiveKeys; len(got) != 2 || got[0] != "dob" || got[1] != "MRN" {
		t.Errorf("shop inherits sensitiveKeys %q", got)
	}
	form.Set("sensitiveKeys", "")
	mustStatus(t, tc.post("/admin/scope", form), http.StatusSeeOther)
	if eff, _ = tc.dir.ServerSettings(ctx); eff.From["sensitiveKeys"] != scopes.FromDefault {
		t.Errorf("an empty list is %q from %s, want the built-in default", eff.Values["sensitiveKeys"], eff.From["sensitiveKeys"])
	}
}

func TestScopeBadInputIsShownBesideTheField(t *testing.T) {
	cases := []struct {
		name     string
		edit     map[string]string
		field    string
		contains string
	}{
		{"zero timeout", map[string]string{"sessionTimeout.days": "0", "sessionTimeout.hours": "0", "sessionTimeout.minutes": "0", "sessionTimeout.seconds": "0"},
			"sessionTimeout", "at least 1 second"},
		{"negative timeout", map[string]string{"clientTimeout.days": "-1"}, "clientTimeout", "0 or more"},
		{"timeout over ten years", map[string]string{"clientTimeout.days": "3651"}, "clientTimeout", "3650 days"},
		{"forged storage", map[string]string{"sessionStorage": "nosuch"}, "sessionStorage", "Session storage nosuch is not available: choose memory or file"},
		{"forged session cookie", map[string]string{"sessionStorage": "cookie"}, "sessionStorage", "cookie is for the client scope only"},
		{"j2ee with a storage", map[string]string{"sessionType": "j2ee", "sessionStorage": "file"}, "sessionType", "Session type j2ee keeps sessions in the servlet container's memory"},
		{"forged cluster", map[string]string{"clientCluster": "maybe"}, "clientCluster", "Client cluster must be true, false or inherited"},
		{"sensitive key too long", map[string]string{"sensitiveKeys": "dob, " + strings.Repeat("x", 65)}, "sensitiveKeys", "longer than 64 characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tc := newTestConsole(t, false)
			ctx := context.Background()
			tc.login()
			before, _ := tc.dir.ServerSettings(ctx)
			_, form := tc.scopeForm(t)
			for k, v := range c.edit {
				form.Set(k, v)
			}
			p := tc.post("/admin/scope", form)
			mustStatus(t, p, http.StatusUnprocessableEntity)
			if got := p.testid("error-" + c.field); !strings.Contains(got, c.contains) {
				t.Errorf("error-%s = %q, want it to contain %q\n%s", c.field, got, c.contains, p.body)
			}
			if p.doc.Find(`[data-testid="error-`+c.field+`"]`).Parent().HasClass("invalid") == false {
				t.Errorf("the field %s is not marked invalid", c.field)
			}
			// The submitted values are shown again (a radio cannot show a value it does not offer).
			again := browserForm(t, p, `[data-testid="settings-form"]`)
			for k, v := range c.edit {
				if got := again.Get(k); got != v && v != "maybe" {
					t.Errorf("%s shown as %q, submitted %q", k, got, v)
				}
			}
			after, _ := tc.dir.ServerSettings(ctx)
			if !reflect.DeepEqual(before.Values, after.Values) || !reflect.DeepEqual(before.From, after.From) {
				t.Errorf("a refused form changed the server defaults to %v", after.Values)
			}
		})
	}
}

// TestSettingsShowEveryErrorAtOnce: the Scope page and an app's page show
// every setting's problem at once, each beside its setting and naming it by
// its label, those the Directory would find (a storage that is not
// available, j2ee with a storage) among them; the values typed stay.
func TestSettingsShowEveryErrorAtOnce(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	edit := map[string]string{
		"sessionType": "j2ee", "sessionStorage": "file", "clientStorage": "nosuch",
		"clientTimeout.days": "-1", "scopeEndWebhook": "ftp://hooks.example.com/end",
		"sensitiveKeys": "dob, " + strings.Repeat("x", 65),
	}
	want := map[string]string{
		"sessionType":     "Session type j2ee keeps sessions in the servlet container's memory, so it cannot use storage file: choose cfml, or memory as the session storage.",
		"clientStorage":   "Client storage nosuch is not available: choose memory, file or cookie, or a cache or datasource whose Storage box is ticked.",
		"clientTimeout":   "Client timeout must be whole numbers of 0 or more: correct the days, hours, minutes or seconds.",
		"scopeEndWebhook": "End-of-scope webhook: ",
		"sensitiveKeys":   "Sensitive keys: the key name",
	}
	check := func(t *testing.T, path string, form url.Values) {
		t.Helper()
		for k, v := range edit {
			form.Set(k, v)
		}
		p := tc.post(path, form)
		mustStatus(t, p, http.StatusUnprocessableEntity)
		for field, msg := range want {
			if got := p.testid("error-" + field); !strings.HasPrefix(got, msg) {
				t.Errorf("error-%s = %q, want %q…", field, got, msg)
			}
		}
		if got := p.doc.Find(`.error`).Length(); got != len(want) {
			t.Errorf("%d messages, want %d", got, len(want))
		}
		if got := p.testid("error-summary"); !strings.Contains(got, "5 settings need a change") {
			t.Errorf("summary %q", got)
		}
		again := browserForm(t, p, `[data-testid="settings-form"]`)
		for k, v := range edit {
			if got := again.Get(k); got != v {
				t.Errorf("%s shown as %q, typed %q", k, got, v)
			}
		}
	}
	before, _ := tc.dir.ServerSettings(ctx)
	_, form := tc.scopeForm(t)
	check(t, "/admin/scope", form)
	if after, _ := tc.dir.ServerSettings(ctx); !reflect.DeepEqual(before.Values, after.Values) {
		t.Errorf("a refused form changed the server defaults to %v", after.Values)
	}

	tc.createApp(t, "shop")
	p := tc.get("/admin/apps/shop")
	check(t, "/admin/apps/shop/settings", browserForm(t, p, `[data-testid="settings-form"]`))
}
