package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// A memcached storage cannot list its keys: the Overview, the Sessions page
// and the console's JSON API say so, rather than showing an empty list, a
// count of 0 or an error page; a scope is still opened by its cfid.
func TestMemcachedNotCountable(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "mc", Type: "memcached", Storage: true,
		Params: map[string]string{"servers": conntest.MemcachedAddr(t), "prefix": "scopestore_t_admin_mc:"}}); err != nil {
		t.Fatal(err)
	}
	tc.createApp(t, "shop")
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"sessionStorage": "mc"}); err != nil {
		t.Fatal(err)
	}
	sc := tc.createScope(t, "shop", scopes.Session, `{"n":1}`)

	p := tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("live-session"); got != "not countable" {
		t.Errorf("Overview's session count %q, want not countable", got)
	}
	if got := p.testid("live-session-message"); !strings.Contains(got, "memcached cannot list") {
		t.Errorf("Overview's message %q", got)
	}
	if got := p.testid("live-total-note"); !strings.Contains(got, "cannot be counted") {
		t.Errorf("Overview's total note %q", got)
	}

	p = tc.get("/admin/sessions?app=shop&scope=session")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("sessions-unsupported"); !strings.Contains(got, "memcached cannot list") {
		t.Errorf("Sessions page: %q\n%s", got, p.body)
	}
	if p.testid("sessions-empty") != "" || p.testid("sessions-error") != "" {
		t.Error("Sessions page shows an empty list or an error for memcached")
	}
	if got := p.testid("live-count"); got != "not countable" {
		t.Errorf("Sessions page count %q", got)
	}

	var failure struct {
		Error struct{ Code, Message string }
	}
	status, _ := tc.getJSON(t, "/admin/api/v1/apps/shop/sessions", &failure)
	if status != http.StatusNotImplemented || failure.Error.Code != scopes.EUnsupported || !strings.Contains(failure.Error.Message, "memcached cannot list") {
		t.Errorf("JSON list: %d %+v; want 501 not_supported", status, failure)
	}
	var one map[string]any
	if status, _ := tc.getJSON(t, "/admin/api/v1/apps/shop/sessions/"+sc.CFID, &one); status != http.StatusOK {
		t.Errorf("JSON get by cfid: %d %v", status, one)
	}
}
