package admin_test

import (
	"net/http"
	"net/url"
	"testing"
)

func TestCSRFTokenRotatedAtLoginAndLogout(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.get("/admin/login")
	before := tc.csrf
	mustStatus(t, tc.post("/admin/login", url.Values{"username": {"admin"}, "password": {testPassword}}), http.StatusSeeOther)
	// The token of the login page no longer carries a form.
	mustStatus(t, tc.postRaw("/admin/apps", url.Values{"_csrf": {before}, "name": {"shop"}}), http.StatusForbidden)
	// The next page has a new one, which does.
	tc.get("/admin/apps")
	if tc.csrf == "" || tc.csrf == before {
		t.Fatalf("after login the token is %q, the same as before", tc.csrf)
	}
	mustStatus(t, tc.post("/admin/apps", url.Values{"name": {"shop"}}), http.StatusSeeOther)

	// Logging out ends the signed-in session's token too.
	signedIn := tc.csrf
	mustStatus(t, tc.post("/admin/logout", nil), http.StatusSeeOther)
	tc.get("/admin/login")
	if tc.csrf == signedIn {
		t.Errorf("after logout the token is still %q", signedIn)
	}
	mustStatus(t, tc.postRaw("/admin/login", url.Values{"_csrf": {signedIn}, "username": {"admin"}, "password": {testPassword}}), http.StatusForbidden)
}
