package admin_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// A change of the server defaults or of an app's settings through the admin
// API that moves a scope kind to a storage that does not pass Verify is
// refused with 409 naming the setting, the storage and the check that
// failed, and changes nothing; ?force=true saves it. A storage that passes
// is saved without force.
func TestAdminAPIStorageChangeIsVerified(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp2(t, "shop")
	// Nothing listens on port 1.
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "Down", Type: "redis", Storage: true,
		Params: map[string]string{"url": "redis://127.0.0.1:1", "timeout": "200ms"}}); err != nil {
		t.Fatal(err)
	}
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "db", Type: "sqlite", Storage: true,
		Params: map[string]string{"file": filepath.Join(t.TempDir(), "sessions.db")}}); err != nil {
		t.Fatal(err)
	}
	const api = "/admin/api/v1"
	for _, c := range []struct {
		name, path, setting string
		// stored reads the setting as saved.
		stored func() string
	}{
		{"server defaults", api + "/scope/defaults", scopes.SessionStorage, func() string {
			eff, err := tc.dir.ServerSettings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return eff.Values[scopes.SessionStorage]
		}},
		{"app settings", api + "/apps/shop/settings", scopes.ClientStorage, func() string {
			eff, err := tc.dir.Effective(ctx, "shop")
			if err != nil {
				t.Fatal(err)
			}
			return eff.Values[scopes.ClientStorage]
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, audited := c.stored(), tc.auditCount(t)
			body := `{"` + c.setting + `":"down"}`
			status, code, msg := tc.apiDo(t, "PATCH", c.path, "application/json", body, nil)
			if status != http.StatusConflict || code != scopes.EConflict {
				t.Fatalf("PATCH to a storage that fails Verify: %d %s %q, want 409 conflict", status, code, msg)
			}
			for _, want := range []string{c.setting + ": storage Down did not pass Verify just now (connect: ", "nothing saved", "?force=true"} {
				if !strings.Contains(msg, want) {
					t.Errorf("the refusal %q does not say %q", msg, want)
				}
			}
			if got := c.stored(); got != before || tc.auditCount(t) != audited {
				t.Fatalf("the refused change saved %s = %q (was %q), %d audit entries (were %d)", c.setting, got, before, tc.auditCount(t), audited)
			}
			// A force that is not true is no force, and one that is no
			// boolean is refused, saving nothing either.
			if status, _, _ := tc.apiDo(t, "PATCH", c.path+"?force=false", "application/json", body, nil); status != http.StatusConflict {
				t.Errorf("?force=false: %d, want 409", status)
			}
			if status, _, msg := tc.apiDo(t, "PATCH", c.path+"?force=maybe", "application/json", body, nil); status != http.StatusBadRequest ||
				!strings.Contains(msg, "use force=true") {
				t.Errorf("?force=maybe: %d %q, want 400 saying to use force=true", status, msg)
			}
			if got := c.stored(); got != before {
				t.Fatalf("a refused force saved %s = %q (was %q)", c.setting, got, before)
			}

			var set struct {
				Settings []struct{ Name, Value, From string }
			}
			if status, _, msg := tc.apiDo(t, "PATCH", c.path+"?force=true", "application/json", body, &set); status != http.StatusOK {
				t.Fatalf("forced: %d %q", status, msg)
			}
			if got := c.stored(); got != "down" {
				t.Errorf("forced, %s = %q", c.setting, got)
			}
			answered := false
			for _, s := range set.Settings {
				answered = answered || s.Name == c.setting && s.Value == "down" && s.From != scopes.FromDefault
			}
			if !answered {
				t.Errorf("the answer does not show %s = down: %+v", c.setting, set.Settings)
			}

			// A storage that passes Verify needs no force.
			if status, _, msg := tc.apiDo(t, "PATCH", c.path, "application/json", `{"`+c.setting+`":"db"}`, nil); status != http.StatusOK {
				t.Fatalf("to a storage that passes Verify: %d %q", status, msg)
			}
			if got := c.stored(); got != "db" {
				t.Errorf("%s = %q, want db", c.setting, got)
			}
		})
	}
}
