package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// App names ignore case: the path's app reaches the app whatever its case,
// and the scopes are stored under the name as created, so a session
// created through one spelling is the same session through another.
func TestAppNameIgnoresCase(t *testing.T) {
	a := newTestAPI(t)
	key := a.app("Shop", nil)
	other := a.app("blog", nil)

	r := a.do("POST", "/api/v1/apps/shop/sessions", key, `{"data":{"user":"ann"}}`)
	mustStatus(t, r, http.StatusCreated)
	cfid := r.json(t)["cfid"].(string)
	for _, app := range []string{"SHOP", "Shop", "sHoP"} {
		t.Run(app, func(t *testing.T) {
			r := a.do("GET", "/api/v1/apps/"+app+"/sessions/"+cfid, key, "")
			mustStatus(t, r, http.StatusOK)
			if got := r.data(t)["user"]; got != "ann" {
				t.Errorf("user = %v, want ann", got)
			}
			r = a.do("GET", "/api/v1/apps/"+app+"/sessions", key, "")
			mustStatus(t, r, http.StatusOK)
			if n := len(r.json(t)["scopes"].([]any)); n != 1 {
				t.Errorf("%d sessions listed, want the one: %s", n, r.body)
			}
			r = a.do("GET", "/api/v1/apps/"+app+"/settings", key, "")
			mustStatus(t, r, http.StatusOK)
			if got := r.json(t)["app"]; got != "Shop" {
				t.Errorf("settings of app %v, want Shop", got)
			}
		})
	}
	// A session created through SHOP is loaded through shop.
	r = a.do("POST", "/api/v1/apps/SHOP/sessions", key, `{"data":{"user":"bob"}}`)
	mustStatus(t, r, http.StatusCreated)
	r = a.do("GET", "/api/v1/apps/shop/sessions/"+r.json(t)["cfid"].(string), key, "")
	mustStatus(t, r, http.StatusOK)
	if got := r.data(t)["user"]; got != "bob" {
		t.Errorf("user = %v, want bob", got)
	}

	// Stored under the name as created, whatever the case typed.
	eff, err := a.dir.Effective(context.Background(), "Shop")
	if err != nil {
		t.Fatal(err)
	}
	page, err := a.engine.List(context.Background(), eff.Settings, "Shop", scopes.Session, scopes.ListQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Scopes) != 2 {
		t.Errorf("the engine lists %d sessions of Shop, want 2", len(page.Scopes))
	}

	// Another app's key still reaches only its own app, in any case.
	r = a.do("GET", "/api/v1/apps/SHOP/sessions/"+cfid, other, "")
	mustStatus(t, r, http.StatusForbidden)
	if !strings.Contains(string(r.body), `cannot reach app \"SHOP\"`) {
		t.Errorf("body %s", r.body)
	}
}
