package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/scopestore/scopestore/scopes"
)

// createScope creates one scope of app's kind k with data through the
// engine, with the app's effective settings.
func (tc *testConsole) createScope(t *testing.T, app string, k scopes.Kind, data string) *scopes.Scope {
	t.Helper()
	ctx := context.Background()
	eff, err := tc.dir.Effective(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := tc.engine.Create(ctx, eff.Settings, app, k, json.RawMessage(data))
	if err != nil {
		t.Fatalf("create a %s scope of %s: %v", k, app, err)
	}
	return sc
}

// listedCFIDs returns the cfids a Sessions page links to, in page order.
func listedCFIDs(p page) []string {
	var out []string
	p.doc.Find(`[data-testid="session-open"]`).Each(func(_ int, s *goquery.Selection) {
		href, _ := s.Attr("href")
		out = append(out, href[strings.LastIndex(href, "/")+1:])
	})
	return out
}

// lastAudit returns the newest audit entry.
func (tc *testConsole) lastAudit(t *testing.T) scopes.AuditEntry {
	t.Helper()
	entries, err := tc.config.Audit(context.Background(), 0, 1)
	if err != nil || len(entries) == 0 {
		t.Fatalf("audit: %v, %d entries", err, len(entries))
	}
	return entries[0]
}

func TestSessionsList(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	if p := tc.get("/admin/sessions"); p.testid("sessions-no-apps") == "" {
		t.Errorf("no empty state without apps:\n%s", p.body)
	}
	tc.createApp(t, "shop")
	alice := tc.createScope(t, "shop", scopes.Session, `{"email":"alice@example.com","password":"hunter2","n":1}`)
	tc.createScope(t, "shop", scopes.Session, `{"email":"bob@example.com","n":2}`)
	tc.createScope(t, "shop", scopes.Session, `{}`)
	client := tc.createScope(t, "shop", scopes.Client, `{"theme":"dark"}`)

	// With no query, the first app's sessions.
	p := tc.get("/admin/sessions")
	mustStatus(t, p, http.StatusOK)
	if p.doc.Find(`[data-testid="nav-sessions"][aria-current="page"]`).Length() != 1 {
		t.Error("Sessions is not the current section")
	}
	if got := len(listedCFIDs(p)); got != 3 {
		t.Fatalf("%d rows, want 3\n%s", got, p.body)
	}
	if got := p.testid("live-count"); got != "3" {
		t.Errorf("count = %q, want 3", got)
	}
	if got := p.testid("sessions-storage"); got != "memory" {
		t.Errorf("storage = %q", got)
	}
	// cfids are masked to 8 characters in the list.
	if text := p.doc.Find(`[data-testid="sessions"]`).Text(); strings.Contains(text, alice.CFID) || !strings.Contains(text, alice.CFID[:8]+"…") {
		t.Errorf("the list does not mask cfids to 8 characters:\n%s", text)
	}
	if note := p.testid("page-note"); !strings.Contains(note, "sorted by last visit within this page") ||
		!strings.Contains(note, "pages follow cfid order") || strings.Contains(note, "another page") {
		t.Errorf("page note %q does not say how the one page is sorted", note)
	}
	if hint := p.testid("order-hint"); !strings.Contains(hint, "this page only") {
		t.Errorf("the sort's hint %q", hint)
	}
	// One storage holds every row: said once, not in a column.
	if note := p.testid("page-note"); !strings.Contains(note, "all in storage memory") ||
		p.doc.Find(`[data-testid="col-storage"]`).Length() != 0 {
		t.Errorf("the storage is not said once: note %q, column %d", note, p.doc.Find(`[data-testid="col-storage"]`).Length())
	}
	// The table refreshes itself with htmx.
	box := p.doc.Find(`[data-testid="sessions-table"]`)
	if trigger, _ := box.Attr("hx-trigger"); trigger != "every 5s" {
		t.Errorf("hx-trigger = %q", trigger)
	}
	hxURL, _ := box.Attr("hx-get")
	frag := tc.hxGet(hxURL)
	mustStatus(t, frag, http.StatusOK)
	if strings.Contains(frag.body, "<html") || len(listedCFIDs(frag)) != 3 {
		t.Errorf("the refresh is not the table alone:\n%s", frag.body)
	}
	if r := tc.get(hxURL); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/admin/sessions?") {
		t.Errorf("the fragment without htmx → %d %q, want the page", r.status, r.location)
	}
	// Paused: no trigger, and the form keeps it paused.
	p = tc.get("/admin/sessions?app=shop&scope=session&live=off")
	if _, ok := p.doc.Find(`[data-testid="sessions-table"]`).Attr("hx-trigger"); ok || inputValue(p, "live") != "off" {
		t.Error("live=off still refreshes, or the form forgets it")
	}

	for _, c := range []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"a value in any key", url.Values{"value": {"alice@example.com"}}, []string{alice.CFID}},
		{"key=value", url.Values{"key": {"EMAIL"}, "value": {"alice@example.com"}}, []string{alice.CFID}},
		{"a JSON value", url.Values{"key": {"n"}, "value": {"1"}}, []string{alice.CFID}},
		{"cfid prefix", url.Values{"prefix": {strings.ToUpper(alice.CFID[:13])}}, []string{alice.CFID}},
		{"nothing matches", url.Values{"value": {"carol@example.com"}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.query.Set("app", "shop")
			p := tc.get("/admin/sessions?" + c.query.Encode())
			mustStatus(t, p, http.StatusOK)
			got := listedCFIDs(p)
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("listed %v, want %v", got, c.want)
			}
			if c.want == nil && !strings.Contains(p.testid("sessions-empty"), "match") {
				t.Errorf("empty state %q", p.testid("sessions-empty"))
			}
			if p.testid("clear") == "" {
				t.Error("no link to clear the filters")
			}
		})
	}

	// Bad input re-renders the form with a message beside the field.
	for field, query := range map[string]string{
		"prefix": "app=shop&prefix=xyz",
		"value":  "app=shop&key=email",
		"app":    "app=nope",
		"scope":  "app=shop&scope=application",
	} {
		p := tc.get("/admin/sessions?" + query)
		mustStatus(t, p, http.StatusUnprocessableEntity)
		if p.testid("error-"+field) == "" {
			t.Errorf("%s: no message beside the field:\n%s", query, p.body)
		}
	}

	// Client scopes show their hit count.
	p = tc.get("/admin/sessions?app=shop&scope=client")
	if got := listedCFIDs(p); len(got) != 1 || got[0] != client.CFID || p.testid("session-hits") != "1" {
		t.Errorf("client scopes: %v, hits %q", got, p.testid("session-hits"))
	}

	// Management off: a message, not an error page.
	if _, err := tc.dir.SetAppSettings(context.Background(), "shop", map[string]string{"clientManagement": "false"}); err != nil {
		t.Fatal(err)
	}
	p = tc.get("/admin/sessions?app=shop&scope=client")
	mustStatus(t, p, http.StatusOK)
	if !strings.Contains(p.testid("sessions-error"), "management is off") {
		t.Errorf("management off: %q", p.testid("sessions-error"))
	}
}

// "Next page" follows the cursor: each scope once, across pages.
func TestSessionsPaging(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	tc.createScopes(t, "shop", scopes.Session, 120)
	// Sorted by last visit, a page says that the newest may be on another.
	if note := tc.get("/admin/sessions?app=shop").testid("page-note"); !strings.Contains(note, "so the newest may be on another page") {
		t.Errorf("first of 3 pages by last visit: %q", note)
	}
	seen := map[string]int{}
	path, pages := "/admin/sessions?app=shop&scope=session&order=cfid", 0
	for path != "" {
		p := tc.get(path)
		mustStatus(t, p, http.StatusOK)
		pages++
		cfids := listedCFIDs(p)
		for i, cfid := range cfids {
			seen[cfid]++
			if i > 0 && cfid < cfids[i-1] {
				t.Errorf("order=cfid page not in cfid order")
			}
		}
		if pages > 1 && p.testid("first-page") == "" {
			t.Error("no link back to the first page")
		}
		path, _ = p.doc.Find(`[data-testid="next-page"]`).Attr("href")
	}
	if pages != 3 || len(seen) != 120 {
		t.Fatalf("%d pages, %d scopes; want 3 pages of 120", pages, len(seen))
	}
	for cfid, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", cfid, n)
		}
	}

	// A filter that reads its scan bound without filling the page says so,
	// and Next page goes on from there.
	tc.createScopes(t, "shop", scopes.Session, scopes.DefaultListScan)
	p := tc.get("/admin/sessions?app=shop&value=nobody@example.com")
	mustStatus(t, p, http.StatusOK)
	if !strings.Contains(p.testid("partial"), "looked at 5,000 sessions") || p.testid("next-page") == "" {
		t.Errorf("partial page: %q, next %q", p.testid("partial"), p.testid("next-page"))
	}
	if !strings.Contains(p.testid("sessions-empty"), "looked at so far") {
		t.Errorf("empty note of a partial page: %q", p.testid("sessions-empty"))
	}
	next, _ := p.doc.Find(`[data-testid="next-page"]`).Attr("href")
	if p = tc.get(next); p.testid("partial") != "" || p.testid("next-page") != "" {
		t.Errorf("the rest fits in one call, yet: %q", p.testid("partial"))
	}
}

// A key the app lists in sensitiveKeys is masked at any depth, in any case,
// and its value never reaches the page; the built-in words still apply.
func TestSessionsOpenMasksTheAppsSensitiveKeys(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	if _, err := tc.dir.DeclareSettings(context.Background(), "shop", map[string]string{"sensitiveKeys": " dob, MRN ,dob"}); err != nil {
		t.Fatal(err)
	}
	sc := tc.createScope(t, "shop", scopes.Session,
		`{"dob":"1970-01-01","patient":{"mrn":"MRN-778899","Dob":{"year":1969}},"password":"hunter2","name":"Alice"}`)
	p := tc.get("/admin/sessions/shop/session/" + sc.CFID)
	mustStatus(t, p, http.StatusOK)
	for _, secret := range []string{"1970-01-01", "MRN-778899", "1969", "hunter2"} {
		if strings.Contains(p.body, secret) {
			t.Errorf("the page holds the sensitive value %q", secret)
		}
	}
	for _, key := range []string{"dob", "mrn", "Dob", "password"} {
		if got := p.testid("masked-" + key); got != "••••" {
			t.Errorf("%s shows %q, want ••••", key, got)
		}
	}
	if got := p.testid("data-name"); got != "Alice" {
		t.Errorf("data name = %q, want Alice", got)
	}
	if got := p.testid("app-sensitive-keys"); got != "dob, MRN" {
		t.Errorf("the page lists the app's sensitive keys as %q, want dob, MRN", got)
	}
	if rule := p.testid("mask-rule"); !strings.Contains(rule, "password") {
		t.Errorf("the page no longer names the built-in words: %q", rule)
	}
	// The history of versions seen keeps no data, only sizes and versions.
	if p.doc.Find(`[data-testid="history-entry"]`).Length() == 0 {
		t.Error("no history entry after opening the scope")
	}
}

func TestSessionsOpenMasksSensitiveValues(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	sc := tc.createScope(t, "shop", scopes.Client,
		`{"email":"alice@example.com","Password":"hunter2","cart":[{"sku":"A-1","qty":2}],"payment":{"cardNumber":"4111111111111111","holder":"Alice"},"apiToken":{"v":"tok-123"}}`)
	path := "/admin/sessions/shop/client/" + sc.CFID
	p := tc.get(path)
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("instance-cfid"); got != sc.CFID {
		t.Errorf("the page shows cfid %q, want the full %s", got, sc.CFID)
	}
	for _, secret := range []string{"hunter2", "4111111111111111", "tok-123"} {
		if strings.Contains(p.body, secret) {
			t.Errorf("the page holds the sensitive value %q", secret)
		}
	}
	for _, key := range []string{"Password", "cardNumber", "apiToken"} {
		if got := p.testid("masked-" + key); got != "••••" {
			t.Errorf("%s shows %q, want ••••", key, got)
		}
	}
	for key, want := range map[string]string{"email": "alice@example.com", "holder": "Alice", "qty": "2"} {
		if got := p.testid("data-" + key); got != want {
			t.Errorf("data %s = %q, want %q", key, got, want)
		}
	}
	if p.doc.Find(`[data-testid="key-cart"] > details`).Length() != 1 {
		t.Error("the array is not drawn as a tree")
	}
	if rule := p.testid("mask-rule"); !strings.Contains(rule, "password") || !strings.Contains(rule, "sensitiveKeys setting, which lists none") {
		t.Errorf("the page does not say which keys are masked: %q", rule)
	}
	for name, want := range map[string]string{"cfid": sc.CFID, "hitcount": "1", "version": "1", "storage": "file"} {
		if got := p.testid("value-" + name); got != want {
			t.Errorf("built-in %s = %q, want %q", name, got, want)
		}
	}
	if p.testid("value-sessionid") != "" {
		t.Error("a client scope shows a sessionid")
	}
	if a := tc.lastAudit(t); a.Action != "client.view" || a.Actor != "admin:admin" || !strings.Contains(a.Target, sc.CFID) {
		t.Errorf("opening is audited as %+v", a)
	}

	// Opening is no visit: the hit count stays; a save shows in the history.
	if got := tc.get(path).testid("value-hitcount"); got != "1" {
		t.Errorf("hitcount after opening twice = %q, want 1: opening is no visit", got)
	}
	ctx := context.Background()
	eff, _ := tc.dir.Effective(ctx, "shop")
	key := scopes.Key{App: "shop", Kind: scopes.Client, CFID: sc.CFID}
	if _, err := tc.engine.Patch(ctx, eff.Settings, key, scopes.Patch{Set: map[string]json.RawMessage{"n": json.RawMessage("1")}}, 0); err != nil {
		t.Fatal(err)
	}
	p = tc.get(path)
	if got := p.testid("value-version"); got != "2" {
		t.Errorf("version after a patch = %q, want 2", got)
	}
	if n := p.doc.Find(`[data-testid="history-entry"]`).Length(); n != 2 {
		t.Errorf("%d versions seen, want 2\n%s", n, p.testid("history"))
	}

	for _, bad := range []string{"/admin/sessions/shop/client/not-a-uuid", "/admin/sessions/shop/app/" + sc.CFID} {
		mustStatus(t, tc.get(bad), http.StatusBadRequest)
	}
	p = tc.get("/admin/sessions/shop/session/" + sc.CFID)
	mustStatus(t, p, http.StatusNotFound)
	if !strings.Contains(p.testid("error-message"), "expired or was invalidated") {
		t.Errorf("not found: %q", p.testid("error-message"))
	}
}

// A string in the data shows as its text, escaped as HTML, never as JSON
// escapes nor as markup.
func TestSessionsOpenShowsStringsAsText(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	sc := tc.createScope(t, "shop", scopes.Session, `{"note":"<b>bold</b> & 'quotes'","n":42,"s":"42"}`)
	p := tc.get("/admin/sessions/shop/session/" + sc.CFID)
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("data-note"); got != `<b>bold</b> & 'quotes'` {
		t.Errorf("note shows %q", got)
	}
	data := p.doc.Find(`[data-testid="data"]`)
	if html, _ := data.Html(); strings.Contains(html, `\u003c`) || strings.Contains(html, "<b>") || !strings.Contains(html, "&lt;b&gt;bold&lt;/b&gt; &amp; ") {
		t.Errorf("the data is not HTML-escaped text:\n%s", html)
	}
	// A string and a number that read alike are told apart by their class.
	if s, n := p.doc.Find(`[data-testid="data-s"]`), p.doc.Find(`[data-testid="data-n"]`); !s.HasClass("str") || n.HasClass("str") {
		t.Errorf("string %q (str %v) and number %q (str %v)", s.Text(), s.HasClass("str"), n.Text(), n.HasClass("str"))
	}
}

// The page of a session that ended since it was opened stays in the
// console: its navigation, what happened, and the way back to the app's
// list. So does any error of a signed-in administrator.
func TestSessionsGoneStaysInTheConsole(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	sc := tc.createScope(t, "shop", scopes.Session, `{"n":1}`)
	path := "/admin/sessions/shop/session/" + sc.CFID
	mustStatus(t, tc.get(path), http.StatusOK)
	// Invalidated elsewhere: by the app, through the engine.
	key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: sc.CFID}
	if err := tc.engine.Delete(context.Background(), mustSettings(t, tc, "shop"), key); err != nil {
		t.Fatal(err)
	}
	for _, p := range []page{tc.get(path), tc.post(path+"/invalidate", url.Values{"confirm": {"yes"}})} {
		mustStatus(t, p, http.StatusNotFound)
		if got := p.testid("error-heading"); got != "Session "+sc.CFID[:8]+"… is gone" {
			t.Errorf("heading %q", got)
		}
		if got := p.testid("error-message"); !strings.Contains(got, sc.CFID) || !strings.Contains(got, "expired or was invalidated") {
			t.Errorf("message %q", got)
		}
		if p.doc.Find(`[data-testid="nav-sessions"][aria-current="page"]`).Length() != 1 {
			t.Error("the page has lost the console's navigation")
		}
		if back, _ := p.doc.Find(`[data-testid="error-back"]`).Attr("href"); back != "/admin/sessions?app=shop&scope=session" {
			t.Errorf("the way back is %q", back)
		}
	}
	// Any page that does not exist, signed in: inside the console too.
	p := tc.get("/admin/nowhere")
	mustStatus(t, p, http.StatusNotFound)
	if p.doc.Find(`[data-testid="nav-overview"]`).Length() != 1 || p.testid("error-message") != "There is no such page." {
		t.Errorf("a signed-in 404 is not inside the console:\n%s", p.body)
	}
}

func TestSessionsInvalidate(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	sc := tc.createScope(t, "shop", scopes.Session, `{"n":1}`)
	other := tc.createScope(t, "shop", scopes.Session, `{"n":2}`)
	path := "/admin/sessions/shop/session/" + sc.CFID
	tc.get(path)

	// Without the box ticked nothing happens.
	p := tc.post(path+"/invalidate", nil)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if p.testid("error-invalidate") == "" {
		t.Errorf("no message beside the box:\n%s", p.body)
	}
	// Without the CSRF token neither.
	mustStatus(t, tc.postRaw(path+"/invalidate", url.Values{"confirm": {"yes"}}), http.StatusForbidden)

	p = tc.post(path+"/invalidate", url.Values{"confirm": {"yes"}})
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/sessions?app=shop&scope=session" {
		t.Errorf("redirect to %q", p.location)
	}
	list := tc.follow(p)
	if f := list.testid("flash"); !strings.Contains(f, "invalidated") || !strings.Contains(f, sc.CFID[:8]) {
		t.Errorf("flash %q", f)
	}
	if got := listedCFIDs(list); len(got) != 1 || got[0] != other.CFID {
		t.Errorf("after invalidating, the list shows %v", got)
	}
	// The app's next load answers 404, and so does the admin API.
	eff, _ := tc.dir.Effective(context.Background(), "shop")
	if _, err := tc.engine.Load(context.Background(), eff.Settings, scopes.Key{App: "shop", Kind: scopes.Session, CFID: sc.CFID}); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Errorf("load after invalidating: %v", err)
	}
	if status, _ := tc.getJSON(t, "/admin/api/v1/apps/shop/sessions/"+sc.CFID, nil); status != http.StatusNotFound {
		t.Errorf("admin API after invalidating: %d", status)
	}
	if a := tc.lastAudit(t); a.Action != "session.invalidate" || a.Actor != "admin:admin" || a.Target != "shop session "+sc.CFID {
		t.Errorf("audit %+v", a)
	}
	// Invalidating it again: not found.
	mustStatus(t, tc.post(path+"/invalidate", url.Values{"confirm": {"yes"}}), http.StatusNotFound)
}

func TestSessionsInvalidateAll(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	tc.createApp(t, "blog")
	tc.createScopes(t, "shop", scopes.Session, 5)
	tc.createScopes(t, "shop", scopes.Client, 2)
	tc.createScopes(t, "blog", scopes.Session, 1)

	list := tc.get("/admin/sessions?app=shop")
	path, _ := list.doc.Find(`[data-testid="invalidate-all-link"]`).Attr("href")
	p := tc.get(path)
	mustStatus(t, p, http.StatusOK)
	if got := strings.Join(strings.Fields(p.testid("invalidate-all-count")), " "); got != "shop has 5 live sessions in storage memory." {
		t.Errorf("confirmation says %q", got)
	}
	mustStatus(t, tc.post(path, nil), http.StatusUnprocessableEntity)
	if n, _, _ := tc.engine.Count(context.Background(), mustSettings(t, tc, "shop"), "shop", scopes.Session); n != 5 {
		t.Fatalf("an unconfirmed form invalidated scopes: %d left", n)
	}
	p = tc.post(path, url.Values{"confirm": {"yes"}})
	mustStatus(t, p, http.StatusSeeOther)
	if f := tc.follow(p).testid("flash"); f != "Invalidated 5 sessions of shop." {
		t.Errorf("flash %q", f)
	}
	ctx := context.Background()
	for _, c := range []struct {
		app  string
		kind scopes.Kind
		want int64
	}{{"shop", scopes.Session, 0}, {"shop", scopes.Client, 2}, {"blog", scopes.Session, 1}} {
		if n, _, _ := tc.engine.Count(ctx, mustSettings(t, tc, c.app), c.app, c.kind); n != c.want {
			t.Errorf("%s %s: %d left, want %d", c.app, c.kind, n, c.want)
		}
	}
	if a := tc.lastAudit(t); a.Action != "session.invalidate_all" || a.Target != "shop" || !strings.HasPrefix(a.Detail, "5 sessions") {
		t.Errorf("audit %+v", a)
	}
}

func mustSettings(t *testing.T, tc *testConsole, app string) scopes.Settings {
	t.Helper()
	eff, err := tc.dir.Effective(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	return eff.Settings
}

// getJSON reads an admin API answer with the console's cookies and decodes
// it into v (when not nil); it returns the status.
func (tc *testConsole) getJSON(t *testing.T, path string, v any) (int, http.Header) {
	t.Helper()
	res, err := tc.client.Get(tc.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: Content-Type %q\n%s", path, ct, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, b)
		}
	}
	return res.StatusCode, res.Header
}

func TestAdminAPISessions(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.createApp2(t, "shop")
	alice := tc.createScope(t, "shop", scopes.Session, `{"email":"alice@example.com","url":"a?b=1&c=2"}`)
	tc.createScopes(t, "shop", scopes.Session, 4)
	tc.createScopes(t, "shop", scopes.Client, 2)

	// Not logged in: 401 as JSON, not a redirect.
	var failure struct {
		Error struct{ Code, Message string }
	}
	status, h := tc.getJSON(t, "/admin/api/v1/apps/shop/sessions", &failure)
	if status != http.StatusUnauthorized || failure.Error.Code != "unauthorized" || h.Get("Location") != "" {
		t.Fatalf("logged out: %d %+v", status, failure)
	}

	tc.login()
	type answer struct {
		Scopes  []map[string]any `json:"scopes"`
		Next    string           `json:"next"`
		Partial bool             `json:"partial"`
	}
	var a answer
	if status, _ := tc.getJSON(t, "/admin/api/v1/apps/shop/sessions", &a); status != http.StatusOK || len(a.Scopes) != 5 || a.Next != "" || a.Partial {
		t.Fatalf("list: %d, %d scopes, next %q", status, len(a.Scopes), a.Next)
	}
	for _, field := range []string{"cfid", "cftoken", "urltoken", "sessionid", "timecreated", "lastvisit", "expires", "version", "storage", "data"} {
		if _, ok := a.Scopes[0][field]; !ok {
			t.Errorf("a scope lacks %q: %v", field, a.Scopes[0])
		}
	}
	// Paging by cursor.
	seen := map[string]bool{}
	cursor := ""
	for range 10 {
		var page answer
		tc.getJSON(t, "/admin/api/v1/apps/shop/sessions?limit=2&cursor="+cursor, &page)
		for _, s := range page.Scopes {
			seen[s["cfid"].(string)] = true
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Errorf("paging by 2 saw %d scopes, want 5", len(seen))
	}
	// Filter, full data (masked; this one has no sensitive key), written as the runtime API writes it.
	res, err := tc.client.Get(tc.srv.URL + "/admin/api/v1/apps/shop/sessions?key=email&value=alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(raw), `"cfid":"`+alice.CFID+`"`) || !strings.Contains(string(raw), `"url":"a?b=1&c=2"`) ||
		strings.Count(string(raw), `"cfid"`) != 1 {
		t.Errorf("filtered answer: %s", raw)
	}
	if status, _ := tc.getJSON(t, "/admin/api/v1/apps/shop/clients", &a); status != http.StatusOK || len(a.Scopes) != 2 {
		t.Errorf("clients: %d, %d scopes", status, len(a.Scopes))
	}
	var one map[string]any
	if status, h := tc.getJSON(t, "/admin/api/v1/apps/shop/sessions/"+alice.CFID, &one); status != http.StatusOK || one["cfid"] != alice.CFID || h.Get("ETag") != `"1"` {
		t.Errorf("one scope: %d %v", status, one)
	}

	for path, want := range map[string]int{
		"/admin/api/v1/apps/shop/sessions?limit=lots":          http.StatusBadRequest,
		"/admin/api/v1/apps/shop/sessions?limit=501":           http.StatusBadRequest,
		"/admin/api/v1/apps/shop/sessions?cursor=zz":           http.StatusBadRequest,
		"/admin/api/v1/apps/nope/sessions":                     http.StatusNotFound,
		"/admin/api/v1/apps/shop/sessions/not-a-uuid":          http.StatusBadRequest,
		"/admin/api/v1/apps/shop/sessions/" + scopes.NewCFID(): http.StatusNotFound,
		"/admin/api/v1/nothing":                                http.StatusNotFound,
	} {
		var failure struct {
			Error struct{ Code, Message string }
		}
		if status, _ := tc.getJSON(t, path, &failure); status != want || failure.Error.Message == "" {
			t.Errorf("GET %s: %d %+v, want %d with a message", path, status, failure, want)
		}
	}
}

// createApp2 registers an app without the console, for tests that start
// logged out.
func (tc *testConsole) createApp2(t *testing.T, name string) {
	t.Helper()
	if _, err := tc.dir.CreateApp(context.Background(), name); err != nil {
		t.Fatal(err)
	}
}
