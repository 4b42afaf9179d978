package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// App names ignore case in the console too: a page asked for in another case
// is sent to the app's own URL, forms act on the app as created, and the
// name is kept as it was created.
func TestAppNameIgnoresCase(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "Shop")

	p := tc.post("/admin/apps", url.Values{"name": {"shop"}})
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.testid("error-name"); !strings.HasPrefix(got, "An application named Shop already exists (application names ignore case)") {
		t.Errorf("error-name = %q", got)
	}

	for path, want := range map[string]string{
		"/admin/apps/SHOP":                            "/admin/apps/Shop",
		"/admin/apps/shop?x=1":                        "/admin/apps/Shop?x=1",
		"/admin/sessions/shop/session/invalidate-all": "/admin/sessions/Shop/session/invalidate-all",
	} {
		if p := tc.get(path); p.status != http.StatusFound || p.location != want {
			t.Errorf("GET %s: %d → %q, want 302 → %s", path, p.status, p.location, want)
		}
	}
	p = tc.get("/admin/apps/Shop")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("app-title"); got != "Shop" {
		t.Errorf("app-title %q", got)
	}
	if p := tc.get("/admin/apps/nope"); p.status != http.StatusNotFound {
		t.Errorf("GET /admin/apps/nope: %d", p.status)
	}

	// A form posted to another case acts on the app as created.
	p = tc.post("/admin/apps/SHOP/delete", nil)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.testid("app-title"); got != "Shop" {
		t.Errorf("the delete form re-rendered for %q", got)
	}

	// The Sessions page and the admin JSON API find the app's scopes
	// whatever the case typed.
	sc := tc.createScope(t, "Shop", scopes.Session, `{"n":1}`)
	p = tc.get("/admin/sessions?app=shop&scope=session")
	mustStatus(t, p, http.StatusOK)
	if got := listedCFIDs(p); len(got) != 1 || got[0] != sc.CFID {
		t.Errorf("sessions of shop: %v, want %s", got, sc.CFID)
	}
	p = tc.get("/admin/sessions/SHOP/session/" + sc.CFID)
	if p.status != http.StatusFound || p.location != "/admin/sessions/Shop/session/"+sc.CFID {
		t.Errorf("session page in another case: %d → %q", p.status, p.location)
	}
	var list struct {
		Scopes []struct {
			CFID string `json:"cfid"`
		} `json:"scopes"`
	}
	if status, _ := tc.getJSON(t, "/admin/api/v1/apps/sHoP/sessions", &list); status != http.StatusOK || len(list.Scopes) != 1 || list.Scopes[0].CFID != sc.CFID {
		t.Errorf("admin API in another case: %d, %+v", status, list)
	}
}
