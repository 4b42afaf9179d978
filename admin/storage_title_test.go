package admin_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// Storage settings keep a connection's name in lower case, yet every page
// names the storage as the connection was named: SessionCache, not
// sessioncache (issue 13, defect 6).
func TestPagesNameStoragesAsTheirConnections(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	ctx := context.Background()
	tc.createApp(t, "shop")
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "SessionCache", Type: "sqlite", Storage: true,
		Params: map[string]string{"file": filepath.Join(t.TempDir(), "sessions.db")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"sessionStorage": "SESSIONCACHE"}); err != nil {
		t.Fatal(err)
	}
	eff, err := tc.dir.Effective(ctx, "shop")
	if err != nil || eff.Settings.Session.Storage != "sessioncache" {
		t.Fatalf("stored as %q, %v: lookups compare the lower-case form", eff.Settings.Session.Storage, err)
	}
	for _, path := range []string{"/admin/apps", "/admin/apps/shop", "/admin/", "/admin/sessions?app=shop"} {
		p := tc.get(path)
		mustStatus(t, p, http.StatusOK)
		if !strings.Contains(p.body, "SessionCache") || strings.Contains(p.body, ">sessioncache<") {
			i := strings.Index(p.body, "sessioncache")
			t.Errorf("%s does not name the storage SessionCache: %q", path, p.body[max(0, i-300):min(len(p.body), i+100)])
		}
	}
	if got := tc.get("/admin/apps").testid("app-session-storage"); got != "SessionCache" {
		t.Errorf("apps list: session storage %q", got)
	}
}
