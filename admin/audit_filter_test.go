package admin_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// addAudit writes entries as the services would, at the times given.
func (tc *testConsole) addAudit(t *testing.T, entries ...scopes.AuditEntry) {
	t.Helper()
	for _, e := range entries {
		if err := tc.config.AddAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// auditRows returns the details of the entries a page shows, newest first.
func auditRows(p page) []string {
	var out []string
	p.doc.Find(`[data-testid="audit-detail"]`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	return out
}

// href returns the link of the element with that data-testid, "" without one.
func (p page) href(id string) string {
	h, _ := p.doc.Find(`[data-testid="` + id + `"]`).Attr("href")
	return h
}

// allAudit returns every entry, newest first, as the page orders them.
func (tc *testConsole) allAudit(t *testing.T, f scopes.AuditFilter) []scopes.AuditEntry {
	t.Helper()
	page, err := tc.config.AuditQuery(context.Background(), scopes.AuditQuery{AuditFilter: f, Limit: scopes.MaxAuditLimit})
	if err != nil {
		t.Fatal(err)
	}
	return page.Entries
}

func TestAuditPagesByKeysetBothWays(t *testing.T) {
	tc := newTestConsoleOn(t, false, nil, func(o *admin.Options) { o.AuditRetention = 365 * 24 * time.Hour })
	tc.login()
	// 120 entries, ten to a second: pages end inside a run of equal times.
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range 120 {
		tc.addAudit(t, scopes.AuditEntry{At: base.Add(time.Duration(i/10) * time.Second), Actor: "admin:alice",
			Action: "app.create", Target: "shop", Detail: "entry " + strconv.Itoa(i)})
	}
	var want []string
	for _, e := range tc.allAudit(t, scopes.AuditFilter{}) {
		want = append(want, e.Detail)
	}

	p := tc.get("/admin/audit")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("audit-retention"); !strings.Contains(got, "older than 365 days are deleted; set with --audit-retention") {
		t.Errorf("retention: %q", got)
	}
	if p.href("newer") != "" || p.href("newest") != "" {
		t.Error("the newest page links to newer ones")
	}
	var pages [][]string
	for p.href("older") != "" {
		pages = append(pages, auditRows(p))
		if len(pages) > 5 {
			t.Fatal("paging does not end")
		}
		p = tc.get(p.href("older"))
		mustStatus(t, p, http.StatusOK)
	}
	pages = append(pages, auditRows(p))
	if got := slices.Concat(pages...); !slices.Equal(got, want) {
		t.Fatalf("paged older:\n%v\nwant\n%v", got, want)
	}
	if len(pages[0]) != 50 || len(pages[len(pages)-1]) != len(want)-50*(len(pages)-1) {
		t.Errorf("page sizes %d … %d", len(pages[0]), len(pages[len(pages)-1]))
	}
	// ← Newer from the last page gives the page before it, whole, and then the first.
	for i := len(pages) - 2; i >= 0; i-- {
		p = tc.get(p.href("newer"))
		mustStatus(t, p, http.StatusOK)
		if got := auditRows(p); !slices.Equal(got, pages[i]) {
			t.Fatalf("newer to page %d = %v, want %v", i, got, pages[i])
		}
	}
	if p.href("newer") != "" {
		t.Errorf("back on the newest page, a newer link: %q", p.href("newer"))
	}
	// An older link (a migration's) numbers an entry: its page starts just below it.
	all := tc.allAudit(t, scopes.AuditFilter{})
	p = tc.get(fmt.Sprintf("/admin/audit?before=%d", all[10].ID))
	if got := auditRows(p); len(got) == 0 || got[0] != all[11].Detail {
		t.Errorf("before=ID starts with %v, want %q", got[:min(len(got), 1)], all[11].Detail)
	}
	// A damaged cursor says so.
	p = tc.get("/admin/audit?before=xyz_1")
	mustStatus(t, p, http.StatusBadRequest)
	if !strings.Contains(p.body, "damaged") {
		t.Errorf("damaged cursor: %s", p.body)
	}
}

// auditFixture writes entries of several actors, actions and days.
func auditFixture(t *testing.T, tc *testConsole) time.Time {
	t.Helper()
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	for i := range 30 {
		actor, action, target := "admin:alice", "app.create", "shop"
		switch i % 3 {
		case 1:
			actor, action, target = "cli:bob", "session.invalidate", "blog session "+strconv.Itoa(i)
		case 2:
			actor, action, target = "admin:carol", "session.view", "shop session "+strconv.Itoa(i)
		}
		tc.addAudit(t, scopes.AuditEntry{At: day.Add(time.Duration(i) * 4 * time.Hour), Actor: actor, Action: action,
			Target: target, Detail: "entry " + strconv.Itoa(i)})
	}
	return day
}

func TestAuditFilters(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	auditFixture(t, tc)
	for _, c := range []struct {
		query string
		want  scopes.AuditFilter
	}{
		{"actor=bob", scopes.AuditFilter{Actor: "bob"}},
		{"actor=admin:carol", scopes.AuditFilter{Actor: "admin:carol"}},
		{"action=session.", scopes.AuditFilter{Action: "session."}},
		{"target=shop+session", scopes.AuditFilter{Target: "shop session"}},
		{"from=2026-03-12&to=2026-03-13", scopes.AuditFilter{Since: time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)}},
		{"actor=carol&action=session.v&target=SHOP&from=2026-03-11", scopes.AuditFilter{Actor: "carol", Action: "session.v", Target: "shop", Since: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)}},
	} {
		p := tc.get("/admin/audit?" + c.query)
		mustStatus(t, p, http.StatusOK)
		var want []string
		for _, e := range tc.allAudit(t, c.want) {
			want = append(want, e.Detail)
		}
		if got := auditRows(p); len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", c.query, got, want)
		}
		// The form shows the filters, and the export takes them.
		q, _ := url.ParseQuery(c.query)
		for name := range q {
			if v, _ := p.doc.Find(`[data-testid="filter-` + name + `"]`).Attr("value"); v != q.Get(name) {
				t.Errorf("%s: field %s holds %q", c.query, name, v)
			}
		}
		exp, _ := url.Parse(p.href("export"))
		if exp.Path != "/admin/audit/export" || exp.Query().Encode() != q.Encode() {
			t.Errorf("%s: export link %q", c.query, p.href("export"))
		}
		if p.href("clear") != "/admin/audit" {
			t.Errorf("%s: no Clear link", c.query)
		}
	}
	// Bad dates are refused beside their fields, every one at once.
	p := tc.get("/admin/audit?from=2026-13-01&to=yesterday")
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if p.testid("error-from") == "" || p.testid("error-to") == "" {
		t.Errorf("bad dates: from %q, to %q", p.testid("error-from"), p.testid("error-to"))
	}
	p = tc.get("/admin/audit?from=2026-03-12&to=2026-03-11")
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.testid("error-to"), "on or after") {
		t.Errorf("to before from: %q", p.testid("error-to"))
	}
	// A cell's link filters by it, keeping the other filters.
	p = tc.get("/admin/audit?action=session.")
	link, _ := p.doc.Find(`[data-testid="audit-actor"]`).First().Attr("href")
	if u, _ := url.Parse(link); u.Query().Get("action") != "session." || u.Query().Get("actor") == "" {
		t.Errorf("actor link %q", link)
	}
}

func TestAuditPagingKeepsFilters(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range 130 {
		actor := "admin:alice"
		if i%2 == 0 {
			actor = "admin:bob"
		}
		tc.addAudit(t, scopes.AuditEntry{At: base.Add(time.Duration(i/4) * time.Second), Actor: actor, Action: "app.create",
			Target: "shop", Detail: "entry " + strconv.Itoa(i)})
	}
	p := tc.get("/admin/audit?actor=bob")
	var got []string
	for {
		got = append(got, auditRows(p)...)
		older := p.href("older")
		if older == "" {
			break
		}
		if u, _ := url.Parse(older); u.Query().Get("actor") != "bob" {
			t.Fatalf("older link drops the filter: %q", older)
		}
		p = tc.get(older)
	}
	if len(got) != 65 {
		t.Fatalf("bob's entries: %d, want 65", len(got))
	}
	if newer := p.href("newer"); !strings.Contains(newer, "actor=bob") {
		t.Errorf("newer link drops the filter: %q", newer)
	}
}

func TestAuditExport(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	auditFixture(t, tc)
	tc.addAudit(t, scopes.AuditEntry{Actor: "admin:alice", Action: "app.settings", Target: "shop", Detail: "<b>&\"quoted\"</b>\nline two"})

	type answer struct {
		status int
		header http.Header
	}
	read := func(query string) (answer, []scopes.AuditEntry) {
		t.Helper()
		res, err := tc.client.Get(tc.srv.URL + "/admin/audit/export?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out []scopes.AuditEntry
		if res.StatusCode != http.StatusOK {
			return answer{res.StatusCode, res.Header}, nil
		}
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var e scopes.AuditEntry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			out = append(out, e)
		}
		return answer{res.StatusCode, res.Header}, out
	}
	all := tc.allAudit(t, scopes.AuditFilter{})
	res, entries := read("")
	if ct := res.header.Get("Content-Type"); ct != "application/x-ndjson; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="scopestore-audit-`) || !strings.HasSuffix(cd, `.jsonl"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if len(entries) != len(all) || entries[0].Detail != all[0].Detail || entries[0].ID != all[0].ID || !entries[0].At.Equal(all[0].At) {
		t.Fatalf("export: %d entries, first %+v; want %d, first %+v", len(entries), entries[0], len(all), all[0])
	}
	// Filters apply.
	_, entries = read("action=session.&from=2026-03-12")
	want := tc.allAudit(t, scopes.AuditFilter{Action: "session.", Since: time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)})
	if len(entries) != len(want) || len(want) == 0 {
		t.Fatalf("filtered export: %d entries, want %d", len(entries), len(want))
	}
	for i, e := range entries {
		if !strings.HasPrefix(e.Action, "session.") || e.At.Before(time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)) || e.ID != want[i].ID {
			t.Errorf("filtered export line %d: %+v", i, e)
		}
	}
	// The export is recorded, with its filters.
	if a := tc.lastAudit(t); a.Action != "audit.export" || a.Actor != "admin:admin" || !strings.Contains(a.Detail, `action "session."`) ||
		!strings.HasPrefix(a.Detail, fmt.Sprintf("%d entries", len(want))) {
		t.Errorf("last entry %+v", a)
	}
	// Bad filters are an error, not an empty file.
	if res, _ = read("from=soon"); res.status != http.StatusBadRequest {
		t.Errorf("bad filter: status %d", res.status)
	}
	// Without a login, the login page.
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	out, err := anon.Get(tc.srv.URL + "/admin/audit/export")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, out.Body)
	_ = out.Body.Close()
	if out.StatusCode != http.StatusSeeOther {
		t.Errorf("export without login: %d", out.StatusCode)
	}
}

func TestAuditRecordsLogins(t *testing.T) {
	tc := newTestConsoleOn(t, false, nil, trustLoopback)
	const secret = "hunter2 wrong guess"
	for range 5 {
		mustStatus(t, tc.loginAs("admin", secret, "X-Forwarded-For", "203.0.113.7"), http.StatusUnauthorized)
	}
	// Locked out: 30 more tries write one entry, not 30.
	for range 30 {
		mustStatus(t, tc.loginAs("admin", secret, "X-Forwarded-For", "203.0.113.7"), http.StatusTooManyRequests)
	}
	// A name too long, with a newline in it, is clipped and cannot forge a line.
	long := "eve\n" + strings.Repeat("x", 300)
	mustStatus(t, tc.loginAs(long, secret, "X-Forwarded-For", "198.51.100.1"), http.StatusUnauthorized)
	// A success and a logout from the proxy's own address.
	tc.login()
	tc.get("/admin/audit") // the CSRF token changed at login
	mustStatus(t, tc.post("/admin/logout", nil), http.StatusSeeOther)

	entries := tc.allAudit(t, scopes.AuditFilter{Action: "admin.log"})
	count := map[string]int{}
	for _, e := range entries {
		count[e.Action]++
		if strings.Contains(e.Actor+e.Target+e.Detail, "hunter2") {
			t.Errorf("an entry holds the password: %+v", e)
		}
	}
	if count["admin.login_failed"] != 6 || count["admin.login_locked"] != 1 || count["admin.login"] != 1 || count["admin.logout"] != 1 {
		t.Fatalf("login entries %v", count)
	}
	failed := tc.allAudit(t, scopes.AuditFilter{Action: "admin.login_failed", Target: "203.0.113.7"})
	if len(failed) != 5 || failed[0].Actor != "admin:admin" || failed[0].Target != "203.0.113.7" {
		t.Errorf("failed logins from 203.0.113.7: %+v", failed)
	}
	locked := tc.allAudit(t, scopes.AuditFilter{Action: "admin.login_locked"})[0]
	if locked.Target != "203.0.113.7" || !strings.Contains(locked.Detail, "once a minute") {
		t.Errorf("lock-out entry %+v", locked)
	}
	eve := tc.allAudit(t, scopes.AuditFilter{Target: "198.51.100.1"})[0]
	if strings.ContainsAny(eve.Actor, "\n\r") || len([]rune(eve.Actor)) > len("admin:")+64 || !strings.HasPrefix(eve.Actor, "admin:eve") {
		t.Errorf("long name recorded as %q", eve.Actor)
	}
	if in := tc.allAudit(t, scopes.AuditFilter{Action: "admin.log", Actor: "admin"})[0]; in.Action != "admin.logout" {
		t.Errorf("newest login entry of admin %+v, want the logout", in)
	}
}

func TestAuditRecordsPacedLoginsOncePerMinutePerAddress(t *testing.T) {
	tc := newTestConsoleOn(t, false, nil, trustLoopback)
	for i := range 10 {
		mustStatus(t, tc.loginAs("admin", "wrong", "X-Forwarded-For", "203.0.113."+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	for range 5 {
		for _, addr := range []string{"203.0.113.100", "203.0.113.101"} {
			mustStatus(t, tc.loginAs("admin", testPassword, "X-Forwarded-For", addr), http.StatusTooManyRequests)
		}
	}
	paced := tc.allAudit(t, scopes.AuditFilter{Action: "admin.login_paced"})
	if len(paced) != 2 || paced[0].Target == paced[1].Target || paced[0].Actor != "admin:admin" {
		t.Fatalf("paced entries %+v, want one for each of the two addresses", paced)
	}
}
