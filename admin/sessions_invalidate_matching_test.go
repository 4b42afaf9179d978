package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// invalidateHookURL is the end-of-scope webhook of the tests' apps: never called,
// since the tests read the outbox rather than deliver.
const invalidateHookURL = "https://hooks.example/end"

// withWebhook gives app an end-of-scope webhook and the engine a notifier
// that keeps notifications in the config store's outbox.
func (tc *testConsole) withEndWebhook(t *testing.T, app string) {
	t.Helper()
	if _, err := tc.dir.SetAppSettings(context.Background(), app, map[string]string{
		scopes.AllowedWebhooks: invalidateHookURL, scopes.ScopeEndWebhook: invalidateHookURL}); err != nil {
		t.Fatal(err)
	}
	tc.engine.Ends = scopes.NewNotifier(tc.config, nil, tc.dir)
}

// notified returns the cfids whose end the outbox holds with reason.
func (tc *testConsole) notifiedEnds(t *testing.T, reason string) []string {
	t.Helper()
	ns, err := tc.config.DueNotifications(context.Background(), time.Now().Add(time.Minute), 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		if n.Reason == reason && n.URL == invalidateHookURL {
			out = append(out, n.Key.CFID)
		}
	}
	slices.Sort(out)
	return out
}

// live tells which of the cfids of app's kind are still live.
func (tc *testConsole) liveOf(t *testing.T, app string, k scopes.Kind, cfids ...string) []string {
	t.Helper()
	var out []string
	for _, cfid := range cfids {
		_, err := tc.engine.Peek(context.Background(), mustSettings(t, tc, app), scopes.Key{App: app, Kind: k, CFID: cfid})
		switch {
		case err == nil:
			out = append(out, cfid)
		case scopes.ErrorCode(err) != scopes.ENotFound:
			t.Fatal(err)
		}
	}
	return out
}

// waitRun reads a run's page until the run is done, and returns it.
func (tc *testConsole) waitInvalidationRun(t *testing.T, path string) page {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := tc.get(path)
		mustStatus(t, p, http.StatusOK)
		if p.testid("run-state") != "running" {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not end:\n%s", p.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func sortedCFIDs(scs ...*scopes.Scope) []string {
	out := make([]string, len(scs))
	for i, sc := range scs {
		out[i] = sc.CFID
	}
	slices.Sort(out)
	return out
}

// matchingCase runs "log user 42 out everywhere" through the console on
// the storage that tc's app shop uses: the list offers it, the
// confirmation counts exactly the matching scopes, nothing happens without
// the box, the CSRF token or a good filter, and the run invalidates the
// matching scopes and no other, notifies each, and is audited once.
func matchingCase(t *testing.T, tc *testConsole, storage string) {
	ctx := context.Background()
	tc.withEndWebhook(t, "shop")
	tc.createApp(t, "blog")
	match := []*scopes.Scope{
		tc.createScope(t, "shop", scopes.Session, `{"userId":42,"cart":[1,2]}`),
		tc.createScope(t, "shop", scopes.Session, `{"USERID":"42"}`),
		tc.createScope(t, "shop", scopes.Session, `{"userId":42}`),
	}
	others := []*scopes.Scope{
		tc.createScope(t, "shop", scopes.Session, `{"userId":7}`),
		tc.createScope(t, "shop", scopes.Session, `{"note":"userId 42","user":{"userId":42}}`),
		tc.createScope(t, "shop", scopes.Client, `{"userId":42}`),
		tc.createScope(t, "blog", scopes.Session, `{"userId":42}`),
	}

	list := tc.get("/admin/sessions?app=shop&scope=session&key=userId&value=42")
	mustStatus(t, list, http.StatusOK)
	if got := list.testid("invalidate-matching-link"); got != "Invalidate all 3 matching sessions…" {
		t.Fatalf("the list's link says %q\n%s", got, list.body)
	}
	href, _ := list.doc.Find(`[data-testid="invalidate-matching-link"]`).Attr("href")
	p := tc.get(href)
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("match-n"); got != "3" {
		t.Fatalf("the confirmation counts %q, want 3\n%s", got, p.body)
	}
	if got := p.testid("match-filter"); got != "data key “userId” holds 42" {
		t.Errorf("filter said as %q", got)
	}
	if got := p.testid("match-count"); !strings.Contains(got, "storage "+storage) {
		t.Errorf("count %q does not name storage %s", got, storage)
	}
	if fx := p.testid("match-effects"); !strings.Contains(fx, "404") || !strings.Contains(fx, invalidateHookURL) ||
		!strings.Contains(fx, "invalidated") || !strings.Contains(fx, "100,000") {
		t.Errorf("what happens: %q", fx)
	}
	form := url.Values{"key": {"userId"}, "value": {"42"}, "counted": {"3"}, "confirm": {"yes"}}
	action := strings.SplitN(href, "?", 2)[0]

	// Without the CSRF token, the box, or with a bad filter: 403, 422, 400, and nothing ends.
	mustStatus(t, tc.postRaw(action, form), http.StatusForbidden)
	noBox := url.Values{"key": {"userId"}, "value": {"42"}}
	if p := tc.post(action, noBox); p.status != http.StatusUnprocessableEntity || p.testid("error-invalidate-matching") == "" {
		t.Errorf("unticked: %d\n%s", p.status, p.body)
	}
	for _, bad := range []url.Values{
		{"confirm": {"yes"}},
		{"key": {"userId"}, "confirm": {"yes"}},
		{"key": {"password"}, "value": {"x"}, "confirm": {"yes"}},
		{"prefix": {"zz"}, "confirm": {"yes"}},
	} {
		mustStatus(t, tc.post(action, bad), http.StatusBadRequest)
	}
	all := append(sortedCFIDs(match...), sortedCFIDs(others[:2]...)...)
	if got := tc.liveOf(t, "shop", scopes.Session, all...); len(got) != 5 {
		t.Fatalf("refused forms ended scopes: %d of 5 left", len(got))
	}

	p = tc.post(action, form)
	mustStatus(t, p, http.StatusSeeOther)
	if !strings.Contains(p.location, "/invalidations/") {
		t.Fatalf("redirect to %q", p.location)
	}
	run := tc.waitInvalidationRun(t, p.location)
	if got := run.testid("run-state"); got != "done" {
		t.Fatalf("run state %q\n%s", got, run.body)
	}
	if got := run.testid("run-headline"); got != "3 sessions invalidated" {
		t.Errorf("headline %q", got)
	}
	if got := run.testid("run-invalidated"); got != "3" {
		t.Errorf("invalidated %q", got)
	}
	if got := tc.liveOf(t, "shop", scopes.Session, sortedCFIDs(match...)...); len(got) != 0 {
		t.Errorf("matching sessions left: %v", got)
	}
	for _, sc := range others {
		k, app := scopes.Session, "shop"
		if sc == others[2] {
			k = scopes.Client
		}
		if sc == others[3] {
			app = "blog"
		}
		if len(tc.liveOf(t, app, k, sc.CFID)) != 1 {
			t.Errorf("%s %s %s (not matching) was invalidated", app, k, sc.CFID)
		}
	}
	if got, want := tc.notifiedEnds(t, scopes.ReasonInvalidated), sortedCFIDs(match...); !slices.Equal(got, want) {
		t.Errorf("notified %v, want %v", got, want)
	}
	a := tc.lastAudit(t)
	if a.Action != "session.invalidate_matching" || a.Target != "shop" || a.Actor != "admin:admin" ||
		!strings.HasPrefix(a.Detail, "3 scopes invalidated in the console matching data key “userId” holds 42 (storage "+storage+")") ||
		!strings.Contains(a.Detail, "3 counted when confirmed") {
		t.Errorf("audit %+v", a)
	}
	entries, _ := tc.config.Audit(ctx, 0, 5)
	for _, e := range entries[1:] {
		if e.Action == "session.invalidate_matching" || e.Action == "session.invalidate" {
			t.Errorf("more than one audit entry for the run: %+v", e)
		}
	}
}

func TestInvalidateMatchingMemory(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	matchingCase(t, tc, "memory")
}

func TestInvalidateMatchingMySQL(t *testing.T) {
	dsn := conntest.MySQLDSN(t)
	tc := newTestConsole(t, false)
	tc.login()
	tc.get("/admin/datasources/new?type=mysql")
	mustStatus(t, tc.post("/admin/datasources", url.Values{"type": {"mysql"}, "name": {"sessiondb"}, "dsn": {dsn},
		"storage": {"on"}}), http.StatusSeeOther)
	tc.createApp(t, "shop")
	if _, err := tc.dir.SetAppSettings(context.Background(), "shop", map[string]string{"sessionStorage": "sessiondb"}); err != nil {
		t.Fatal(err)
	}
	matchingCase(t, tc, "sessiondb")
}

func TestInvalidateMatchingRedis(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.get("/admin/caches/new?type=redis")
	mustStatus(t, tc.post("/admin/caches", redisCache(t, "sessioncache")), http.StatusSeeOther)
	tc.createApp(t, "shop")
	if _, err := tc.dir.SetAppSettings(context.Background(), "shop", map[string]string{"sessionStorage": "sessioncache"}); err != nil {
		t.Fatal(err)
	}
	matchingCase(t, tc, "sessioncache")
}

// A scope that stops matching between the count and the run is left
// alone, and one that begins to match is invalidated: the run checks the
// filter as it reaches each scope, and says that the numbers differ.
func TestInvalidateMatchingChecksTheFilterAgain(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	ctx := context.Background()
	set := mustSettings(t, tc, "shop")
	a := tc.createScope(t, "shop", scopes.Session, `{"userId":42}`)
	b := tc.createScope(t, "shop", scopes.Session, `{"userId":42}`)
	p := tc.get("/admin/sessions/shop/session/invalidate-matching?key=userId&value=42")
	if got := p.testid("match-n"); got != "2" {
		t.Fatalf("count %q", got)
	}
	// Meanwhile a logs in as another user and c logs in as 42.
	if _, err := tc.engine.Patch(ctx, set, scopes.Key{App: "shop", Kind: scopes.Session, CFID: a.CFID},
		scopes.Patch{Set: map[string]json.RawMessage{"userId": json.RawMessage("8")}}); err != nil {
		t.Fatal(err)
	}
	c := tc.createScope(t, "shop", scopes.Session, `{"userId":42}`)
	p = tc.post("/admin/sessions/shop/session/invalidate-matching", url.Values{"key": {"userId"}, "value": {"42"},
		"counted": {"2"}, "confirm": {"yes"}})
	mustStatus(t, p, http.StatusSeeOther)
	run := tc.waitInvalidationRun(t, p.location)
	if got := tc.liveOf(t, "shop", scopes.Session, a.CFID, b.CFID, c.CFID); !slices.Equal(got, []string{a.CFID}) {
		t.Errorf("live after the run: %v, want only %s", got, a.CFID)
	}
	if got := run.testid("run-invalidated"); got != "2" {
		t.Errorf("invalidated %q, want 2 (b and c)", got)
	}
}

func TestInvalidateSelected(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	tc.withEndWebhook(t, "shop")
	scs := []*scopes.Scope{
		tc.createScope(t, "shop", scopes.Session, `{"n":1}`),
		tc.createScope(t, "shop", scopes.Session, `{"n":2}`),
		tc.createScope(t, "shop", scopes.Session, `{"n":3}`),
	}
	list := tc.get("/admin/sessions?app=shop&scope=session&order=cfid")
	if n := list.doc.Find(`[data-testid="session-select"][form="select-form"]`).Length(); n != 3 {
		t.Fatalf("%d row boxes, want 3", n)
	}
	action, _ := list.doc.Find(`[data-testid="select-form"]`).Attr("action")
	back := inputValue(list, "back")
	picked := url.Values{"cfid": {scs[0].CFID, scs[2].CFID}, "back": {back}}

	// The list's form shows the confirmation, naming the rows.
	p := tc.post(action, picked)
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("selected-count"); !strings.HasPrefix(got, "2 sessions selected") {
		t.Errorf("confirmation says %q", got)
	}
	if got := p.testid("selected-cfids"); !strings.Contains(got, scs[0].CFID[:8]) || strings.Contains(got, scs[1].CFID[:8]) {
		t.Errorf("confirmation lists %q", got)
	}
	confirm := url.Values{"cfid": {scs[0].CFID, scs[2].CFID}, "back": {back}, "step": {"confirm"}}
	mustStatus(t, tc.post(action, confirm), http.StatusUnprocessableEntity)
	confirm.Set("confirm", "yes")
	confirm.Del("_csrf")
	mustStatus(t, tc.postRaw(action, confirm), http.StatusForbidden)
	bad := url.Values{"cfid": {"not-a-cfid"}, "step": {"confirm"}, "confirm": {"yes"}}
	mustStatus(t, tc.post(action, bad), http.StatusBadRequest)
	if got := tc.liveOf(t, "shop", scopes.Session, sortedCFIDs(scs...)...); len(got) != 3 {
		t.Fatalf("refused forms ended scopes: %v", got)
	}
	p = tc.post(action, confirm)
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != back {
		t.Errorf("back to %q, want %q", p.location, back)
	}
	if f := tc.follow(p).testid("flash"); !strings.HasPrefix(f, "Invalidated 2 selected sessions of shop") {
		t.Errorf("flash %q", f)
	}
	if got := tc.liveOf(t, "shop", scopes.Session, sortedCFIDs(scs...)...); !slices.Equal(got, []string{scs[1].CFID}) {
		t.Errorf("live %v, want only %s", got, scs[1].CFID)
	}
	if got, want := tc.notifiedEnds(t, scopes.ReasonInvalidated), sortedCFIDs(scs[0], scs[2]); !slices.Equal(got, want) {
		t.Errorf("notified %v, want %v", got, want)
	}
	if a := tc.lastAudit(t); a.Action != "session.invalidate_selected" || a.Target != "shop" ||
		!strings.HasPrefix(a.Detail, "2 of 2 selected sessions invalidated") || !strings.Contains(a.Detail, scs[2].CFID) {
		t.Errorf("audit %+v", a)
	}
	// Nothing ticked: back to the list with a word.
	p = tc.post(action, url.Values{"back": {back}})
	if p.status != http.StatusSeeOther || !strings.Contains(tc.follow(p).testid("flash"), "Tick the sessions") {
		t.Errorf("nothing ticked: %d %q", p.status, p.location)
	}
	// A back address elsewhere is not followed.
	p = tc.post(action, url.Values{"back": {"https://evil.example/"}})
	if p.location != "/admin/sessions?app=shop&scope=session" {
		t.Errorf("back to %q", p.location)
	}
}

// postJSON posts a JSON body to the admin API with the console's cookies.
func (tc *testConsole) postAdminJSON(t *testing.T, path, contentType, body string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("POST", tc.srv.URL+path, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", contentType)
	res, err := tc.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("POST %s: %v\n%s", path, err, b)
		}
	}
	return res.StatusCode
}

func TestAdminAPIInvalidate(t *testing.T) {
	tc := newTestConsole(t, false)
	const path = "/admin/api/v1/apps/shop/sessions/invalidate"
	if status := tc.postAdminJSON(t, path, "application/json", `{"key":"userId","value":"42"}`, nil); status != http.StatusUnauthorized {
		t.Fatalf("without login: %d", status)
	}
	tc.login()
	tc.createApp(t, "shop")
	match := []*scopes.Scope{
		tc.createScope(t, "shop", scopes.Session, `{"userId":42}`),
		tc.createScope(t, "shop", scopes.Session, `{"userId":"42"}`),
	}
	other := tc.createScope(t, "shop", scopes.Session, `{"userId":43}`)

	var ans struct {
		DryRun      bool   `json:"dry_run"`
		Matched     int    `json:"matched"`
		Invalidated int    `json:"invalidated"`
		Scanned     int    `json:"scanned"`
		Complete    bool   `json:"complete"`
		Next        string `json:"next"`
	}
	if status := tc.postAdminJSON(t, path, "application/json", `{"key":"userId","value":"42","dry_run":true}`, &ans); status != http.StatusOK ||
		!ans.DryRun || ans.Matched != 2 || ans.Invalidated != 0 || ans.Scanned != 3 || !ans.Complete {
		t.Fatalf("dry run: %d %+v", status, ans)
	}
	for _, c := range []struct{ ct, body string }{
		{"application/x-www-form-urlencoded", "key=userId&value=42"},
		{"text/plain", `{"key":"userId","value":"42"}`},
		{"application/json", `{}`},
		{"application/json", `{"key":"userId"}`},
		{"application/json", `{"key":"password","value":"x"}`},
		{"application/json", `{"key":"userId","value":"42","surprise":1}`},
	} {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if status := tc.postAdminJSON(t, path, c.ct, c.body, &e); status != http.StatusBadRequest || e.Error.Code != scopes.EInvalid {
			t.Errorf("%s %s: %d %+v", c.ct, c.body, status, e)
		}
	}
	if got := tc.liveOf(t, "shop", scopes.Session, append(sortedCFIDs(match...), other.CFID)...); len(got) != 3 {
		t.Fatalf("refused requests ended scopes: %v", got)
	}
	if status := tc.postAdminJSON(t, path, "application/json", `{"key":"userId","value":"42"}`, &ans); status != http.StatusOK ||
		ans.DryRun || ans.Matched != 2 || ans.Invalidated != 2 || !ans.Complete {
		t.Fatalf("run: %d %+v", status, ans)
	}
	if got := tc.liveOf(t, "shop", scopes.Session, append(sortedCFIDs(match...), other.CFID)...); !slices.Equal(got, []string{other.CFID}) {
		t.Errorf("live %v", got)
	}
	if a := tc.lastAudit(t); a.Action != "session.invalidate_matching" || !strings.Contains(a.Detail, "through the admin JSON API") {
		t.Errorf("audit %+v", a)
	}
}

// noListStorages stands for a storage that cannot list its scopes (memcached,
// cookie): List answers not_supported.
type noListStorages struct{ scopes.Storages }

type noListStore struct{ scopes.Store }

func (s noListStorages) Store(ctx context.Context, name string) (scopes.Store, error) {
	st, err := s.Storages.Store(ctx, name)
	if err != nil {
		return nil, err
	}
	return noListStore{st}, nil
}

func (noListStore) List(context.Context, string, scopes.Kind, string, int, time.Time) ([]scopes.Record, error) {
	return nil, scopes.Errorf(scopes.EUnsupported, "this storage cannot list its scopes")
}

func TestInvalidateMatchingUnsupported(t *testing.T) {
	tc := newTestConsoleOn(t, false, func(s scopes.Storages) scopes.Storages { return noListStorages{s} })
	tc.login()
	tc.createApp(t, "shop")
	sc := tc.createScope(t, "shop", scopes.Session, `{"userId":42}`)
	list := tc.get("/admin/sessions?app=shop&scope=session&key=userId&value=42")
	if got := list.testid("targeted-unsupported"); !strings.Contains(got, "not possible in storage memory") {
		t.Errorf("the list does not say that targeted invalidation is impossible: %q", got)
	}
	if list.doc.Find(`[data-testid="invalidate-matching-link"]`).Length() != 0 {
		t.Error("the list offers a targeted invalidation it cannot do")
	}
	p := tc.get("/admin/sessions/shop/session/invalidate-matching?key=userId&value=42")
	mustStatus(t, p, http.StatusNotImplemented)
	if got := p.testid("match-unsupported"); !strings.Contains(got, "Targeted invalidation is not possible in storage memory") {
		t.Errorf("confirmation says %q", got)
	}
	if p.doc.Find(`[data-testid="invalidate-matching-form"]`).Length() != 0 {
		t.Error("a form to confirm what cannot be done")
	}
	if len(tc.liveOf(t, "shop", scopes.Session, sc.CFID)) != 1 {
		t.Error("the scope ended")
	}
}

// slowDeleteStorages makes every delete take a while, so that a run lasts long
// enough to be stopped.
type slowDeleteStorages struct{ scopes.Storages }

type slowDeleteStore struct{ scopes.Store }

func (s slowDeleteStorages) Store(ctx context.Context, name string) (scopes.Store, error) {
	st, err := s.Storages.Store(ctx, name)
	if err != nil {
		return nil, err
	}
	return slowDeleteStore{st}, nil
}

func (s slowDeleteStore) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	time.Sleep(20 * time.Millisecond)
	return s.Store.Delete(ctx, key)
}

// Stop ends a run where it is: the scopes it has not reached stay, the page
// says so, and the audit entry says who stopped it.
func TestInvalidateMatchingStop(t *testing.T) {
	tc := newTestConsoleOn(t, false, func(s scopes.Storages) scopes.Storages { return slowDeleteStorages{s} })
	tc.login()
	tc.createApp(t, "shop")
	const n = 300
	var cfids []string
	for range n {
		cfids = append(cfids, tc.createScope(t, "shop", scopes.Session, `{"userId":42}`).CFID)
	}
	tc.get("/admin/sessions/shop/session/invalidate-matching?key=userId&value=42")
	p := tc.post("/admin/sessions/shop/session/invalidate-matching", url.Values{"key": {"userId"}, "value": {"42"},
		"counted": {"300"}, "confirm": {"yes"}})
	mustStatus(t, p, http.StatusSeeOther)
	running := tc.get(p.location)
	if running.testid("run-state") != "running" || running.doc.Find(`[data-testid="run-stop-form"]`).Length() != 1 {
		t.Fatalf("no Stop on a running run:\n%s", running.body)
	}
	stop, _ := running.doc.Find(`[data-testid="run-stop-form"]`).Attr("action")
	mustStatus(t, tc.postRaw(stop, nil), http.StatusForbidden)
	mustStatus(t, tc.post(stop, nil), http.StatusSeeOther)
	run := tc.waitInvalidationRun(t, p.location)
	if run.testid("run-state") != "stopped" || !strings.Contains(run.testid("run-stopped"), "You stopped the run") {
		t.Fatalf("after Stop:\n%s", run.body)
	}
	left := len(tc.liveOf(t, "shop", scopes.Session, cfids...))
	if left == 0 {
		// Stop may land before the first delete: then every scope stays.
		t.Errorf("%d of %d left after Stop", left, n)
	}
	if a := tc.lastAudit(t); a.Action != "session.invalidate_matching" || !strings.Contains(a.Detail, "stopped by the operator") ||
		!strings.HasPrefix(a.Detail, fmt.Sprintf("%d scopes invalidated", n-left)) {
		t.Errorf("audit %+v (left %d)", a, left)
	}
}
