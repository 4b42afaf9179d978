package admin_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// The admin JSON API masks as the console does, in its list and for one
// scope, and a list is one audit entry that names the app, kind and count.
func TestAdminAPIMasksAndAuditsBulkReads(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	if _, err := tc.dir.DeclareSettings(context.Background(), "shop", map[string]string{"sensitiveKeys": "dob"}); err != nil {
		t.Fatal(err)
	}
	one := tc.createScope(t, "shop", scopes.Session, `{"email":"alice@example.com","password":"hunter0","payment":{"cardNumber":"4111111111111111"},"DOB":"1970-01-01"}`)
	tc.createScope(t, "shop", scopes.Session, `{"password":"hunter1","note":"\u003cb\u003e"}`)
	tc.createScope(t, "shop", scopes.Session, `{"n":1}`)
	secrets := []string{"hunter0", "hunter1", "4111111111111111", "1970-01-01"}

	before := tc.auditCount(t)
	body := tc.getBody(t, "/admin/api/v1/apps/shop/sessions?limit=500")
	for _, s := range secrets {
		if strings.Contains(body, s) {
			t.Errorf("the list answers the sensitive value %q:\n%s", s, body)
		}
	}
	for _, want := range []string{`"password":"••••"`, `"cardNumber":"••••"`, `"DOB":"••••"`, `"email":"alice@example.com"`, `"note":"<b>"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the list lacks %s:\n%s", want, body)
		}
	}
	if n := tc.auditCount(t) - before; n != 1 {
		t.Errorf("a list of 3 sessions wrote %d audit entries, want 1", n)
	}
	if a := tc.lastAudit(t); a.Action != "session.list" || a.Target != "shop" || a.Actor != "admin:admin" ||
		!strings.HasPrefix(a.Detail, "3 sessions read with their data through the admin JSON API") {
		t.Errorf("the list is audited as %+v", a)
	}

	body = tc.getBody(t, "/admin/api/v1/apps/shop/sessions/"+one.CFID)
	if strings.Contains(body, "hunter0") || strings.Contains(body, "4111111111111111") || !strings.Contains(body, `"password":"••••"`) {
		t.Errorf("one scope is not masked:\n%s", body)
	}
	if a := tc.lastAudit(t); a.Action != "session.view" || a.Target != "shop session "+one.CFID {
		t.Errorf("one scope is audited as %+v", a)
	}
}

// getBody reads an admin API answer's body, which must be 200.
func (tc *testConsole) getBody(t *testing.T, path string) string {
	t.Helper()
	res, err := tc.client.Get(tc.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return string(b)
}

// A filter never tells a masked value: on a masked key it is refused (the
// form says so beside the key, the API answers 400), and a filter on any
// key does not look in masked keys.
func TestSessionsFilterOnMaskedKeysIsRefused(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	if _, err := tc.dir.DeclareSettings(context.Background(), "shop", map[string]string{"sensitiveKeys": "dob"}); err != nil {
		t.Fatal(err)
	}
	tc.createScope(t, "shop", scopes.Session, `{"password":"hunter0","dob":"1970","user":{"name":"a","card":"4111"},"email":"a@x"}`)
	for _, key := range []string{"password", "PASSWORD", "dob", "card"} {
		q := url.Values{"app": {"shop"}, "key": {key}, "value": {"hunter0"}}
		p := tc.get("/admin/sessions?" + q.Encode())
		mustStatus(t, p, http.StatusUnprocessableEntity)
		if msg := p.testid("error-key"); !strings.Contains(msg, "masked key") || !strings.Contains(msg, "Filter on another key") {
			t.Errorf("filter on %s: the key's message is %q", key, msg)
		}
		if got := listedCFIDs(p); len(got) != 0 {
			t.Errorf("filter on %s lists %v", key, got)
		}
		var failure struct {
			Error struct{ Code, Message string }
		}
		status, _ := tc.getJSON(t, "/admin/api/v1/apps/shop/sessions?"+url.Values{"key": {key}, "value": {"hunter0"}}.Encode(), &failure)
		if status != http.StatusBadRequest || failure.Error.Code != scopes.EInvalid || !strings.Contains(failure.Error.Message, "masked") {
			t.Errorf("API filter on %s: %d %+v, want 400 invalid", key, status, failure)
		}
	}
	for _, q := range []url.Values{
		{"value": {"hunter0"}},
		{"value": {"1970"}},
		{"key": {"user"}, "value": {`{"name":"a","card":"4111"}`}},
	} {
		q.Set("app", "shop")
		p := tc.get("/admin/sessions?" + q.Encode())
		mustStatus(t, p, http.StatusOK)
		if got := listedCFIDs(p); len(got) != 0 {
			t.Errorf("filter %v finds %v through a masked value", q, got)
		}
	}
	if p := tc.get("/admin/sessions?app=shop&value=a@x"); len(listedCFIDs(p)) != 1 {
		t.Error("a filter on a key that is not masked finds nothing")
	}
}

// A scope too deep and too large for the tree is drawn in bounded HTML
// that points to its raw JSON, which is masked and escaped, and audited.
func TestSessionsOpenDeepScopeIsBoundedWithRawJSON(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	long := strings.Repeat("x", 900_000)
	data := `{"password":"hunter2","note":"\u003cb\u003ebold\u003c/b\u003e","deep":` + strings.Repeat("[", 9990) + `"` + long + `"` + strings.Repeat("]", 9990) + `}`
	sc := tc.createScope(t, "shop", scopes.Session, data)
	path := "/admin/sessions/shop/session/" + sc.CFID
	p := tc.get(path)
	mustStatus(t, p, http.StatusOK)
	if len(p.body) > 64<<10 {
		t.Errorf("the page is %d bytes, want at most 64 KiB", len(p.body))
	}
	if cut := p.testid("tree-cut"); !strings.Contains(cut, "Show raw JSON") {
		t.Errorf("no notice that the tree is cut: %q", cut)
	}
	raw, _ := p.doc.Find(`[data-testid="tree-cut-raw"]`).Attr("href")
	if raw != path+"/raw" {
		t.Fatalf("the raw JSON link is %q", raw)
	}
	if strings.Contains(p.body, "hunter2") || p.testid("masked-password") != "••••" || p.testid("data-note") != "<b>bold</b>" {
		t.Error("the page is not masked, or not escaped")
	}

	r := tc.get(raw)
	mustStatus(t, r, http.StatusOK)
	want := `{"password":"••••","note":"<b>bold</b>","deep":` + strings.Repeat("[", 9990) + `"` + long + `"` + strings.Repeat("]", 9990) + `}`
	if got := r.testid("raw-json"); got != want {
		t.Errorf("the raw JSON is %d bytes, want the masked data's %d", len(got), len(want))
	}
	pre, _ := r.doc.Find(`[data-testid="raw-json"]`).Html()
	if strings.Contains(r.body, "hunter2") || strings.Contains(pre, "<b>bold") || strings.Contains(pre, `\u003c`) ||
		!strings.Contains(pre, `&#34;note&#34;:&#34;&lt;b&gt;bold&lt;/b&gt;&#34;`) && !strings.Contains(pre, `"note":"&lt;b&gt;bold&lt;/b&gt;"`) {
		t.Errorf("the raw JSON shows the password, markup or JSON escapes: %.200s", pre)
	}
	if a := tc.lastAudit(t); a.Action != "session.view" || a.Target != "shop session "+sc.CFID || !strings.Contains(a.Detail, "raw JSON") {
		t.Errorf("the raw JSON is audited as %+v", a)
	}
}
