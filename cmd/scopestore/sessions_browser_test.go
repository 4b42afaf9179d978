package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Viewports of the screenshots: a laptop and a phone.
const (
	wideWidth   = 1366
	narrowWidth = 390
)

// sessionsServer is a server with the app shop, its API key, and a
// browser logged in to the console as admin.
type sessionsServer struct {
	t   *testing.T
	url string
	key string
	ctx context.Context
}

// startSessions starts a server on memory storage with the app shop, and a
// browser logged in with SCOPESTORE_ADMIN_PASSWORD.
func startSessions(t *testing.T) *sessionsServer {
	t.Helper()
	ctx := newBrowser(t)
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CacheTTL = 0
	cfg.AdminPassword = "a long admin password"
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := open(context.Background(), &cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(svc, &cfg, logger))
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	key, err := svc.directory.CreateApp(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	s := &sessionsServer{t: t, url: srv.URL, key: key, ctx: ctx}
	s.step("login",
		chromedp.Navigate(s.url+"/admin/login"),
		chromedp.WaitVisible(byTestID("password")),
		// The user name is filled in: admin, the user of SCOPESTORE_ADMIN_PASSWORD.
		chromedp.SendKeys(byTestID("password"), cfg.AdminPassword),
		chromedp.Click(byTestID("submit")),
		chromedp.WaitVisible(byTestID("nav-sessions")),
	)
	return s
}

// api calls the runtime API as the app would.
func (s *sessionsServer) api(method, path, body string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

var cfidInJSON = regexp.MustCompile(`"cfid":"([^"]+)"`)

// create starts a session of shop with data through the runtime API and
// returns its cfid.
func (s *sessionsServer) create(data string) string {
	s.t.Helper()
	status, body := s.api("POST", "/api/v1/apps/shop/sessions", `{"data":`+data+`}`)
	if status != http.StatusCreated {
		s.t.Fatalf("create: %d %s", status, body)
	}
	return cfidInJSON.FindStringSubmatch(body)[1]
}

// step runs browser actions, failing the test with name if one fails.
func (s *sessionsServer) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	sctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		s.t.Fatalf("%s: %v", name, err)
	}
}

// text returns the text of the first element sel selects.
func (s *sessionsServer) text(sel string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		s.t.Fatalf("read %s: %v", sel, err)
	}
	return v
}

// js evaluates a boolean expression in the page.
func (s *sessionsServer) js(expr string) bool {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](expr))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// sessionRows waits until the list shows n rows.
func sessionRows(n int) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`document.querySelectorAll('[data-testid="session-row"]').length === `+strconv.Itoa(n),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))
}

func byTestID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// overflowJS lists the elements that reach past the right edge of the
// viewport: empty when the page fits its width.
const overflowJS = `(() => {
	const w = document.documentElement.clientWidth, out = [];
	if (document.documentElement.scrollWidth <= w) return "";
	for (const el of document.querySelectorAll("body *")) {
		const r = el.getBoundingClientRect();
		if (r.right > w + 0.5 && r.width > 0) out.push(el.tagName.toLowerCase() + "." + el.className + " " + Math.round(r.right) + "px");
	}
	return "page " + document.documentElement.scrollWidth + "px wide in " + w + "px: " + out.slice(0, 8).join(", ");
})()`

// fits fails the test when the page is wider than the viewport, so that a
// phone would scroll it sideways.
func fits(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](overflowJS))
	if err != nil {
		t.Fatalf("measure %s: %v", what, err)
	}
	if got != "" {
		t.Errorf("%s does not fit the phone: %s", what, got)
	}
}

// shotsWideAndNarrow reloads the current page at the laptop's and at the
// phone's width, waiting for ready, and takes a screenshot of each (NAME-1366,
// NAME-390), checking on the phone that the page fits; it leaves the
// browser at the laptop's width.
func shotsWideAndNarrow(t *testing.T, ctx context.Context, name string, ready chromedp.Action[chromedp.Void]) {
	t.Helper()
	at := func(width, height int64) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, chromedp.EmulateViewport(width, height), chromedp.Reload(), ready); err != nil {
			t.Fatalf("%s at %d px: %v", name, width, err)
		}
	}
	at(wideWidth, 900)
	screenshot(t, ctx, name+"-1366")
	at(narrowWidth, 844)
	fits(t, ctx, name)
	screenshot(t, ctx, name+"-390")
	at(wideWidth, 900)
}

// TestOperatorStory is the operator's story of the Sessions page in a real
// browser: log in with SCOPESTORE_ADMIN_PASSWORD, watch the list refresh
// itself, find a session by a value in its data, open it (its password
// masked, its HTML-like text shown as text), invalidate it, and see the
// runtime API answer 404 for it; then reload the page of a session the app
// invalidated meanwhile, and find the way back.
func TestOperatorStory(t *testing.T) {
	s := startSessions(t)
	for _, name := range []string{"bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"} {
		s.create(`{"email":"` + name + `@example.com","cart":[{"sku":"B-7","qty":1}],"locale":"en-GB"}`)
	}
	alice := s.create(`{"email":"alice@example.com","password":"hunter2","cart":[{"sku":"A-1","qty":2},{"sku":"C-3","qty":1}],` +
		`"user":{"name":"Alice Smith","roles":["buyer","beta"],"payment":{"cardNumber":"4111111111111111","expiry":"12/29"}},` +
		`"note":"<b>bold</b> & 'quotes'","visits":7,"vip":true}`)
	// A few visits, so that last visits differ.
	for range 3 {
		s.api("GET", "/api/v1/apps/shop/sessions/"+alice, "")
	}

	s.step("sessions", chromedp.Click(byTestID("nav-sessions")), chromedp.WaitVisible(byTestID("sessions-table")), sessionRows(12))
	if list := s.text(`[data-testid="sessions"]`); strings.Contains(list, alice) || !strings.Contains(list, alice[:8]+"…") {
		t.Fatalf("the list does not mask cfids to 8 characters:\n%s", list)
	}
	// Every row is in storage memory: the page says so once, in no column.
	if note := s.text(`[data-testid="page-note"]`); !strings.Contains(note, "all in storage memory") {
		t.Errorf("page note %q does not name the storage", note)
	}
	if s.js(`document.querySelector('[data-testid="col-storage"]') !== null`) {
		t.Error("the list has a Storage column that repeats one value")
	}
	screenshot(t, s.ctx, "sessions-01-list")

	// A new visitor shows up within a refresh, without a page reload.
	s.step("mark the page", chromedp.Evaluate[chromedp.Void](`window.noReload = true; undefined`))
	s.create(`{"email":"peggy@example.com"}`)
	s.step("live refresh", sessionRows(13))
	if !s.js(`window.noReload === true`) {
		t.Fatal("the list refreshed by reloading the page")
	}

	// Find Alice's session by the value of its email.
	s.step("filter",
		chromedp.SendKeys(chromedp.CSS("#f-value"), "alice@example.com"),
		chromedp.Click(byTestID("show")),
		chromedp.WaitVisible(byTestID("clear")), // the filtered page has a link that clears the filter
		sessionRows(1),
	)
	if note := s.text(`[data-testid="page-note"]`); !strings.Contains(note, "1 session on this page") {
		t.Errorf("page note %q", note)
	}
	screenshot(t, s.ctx, "sessions-02-found")

	s.step("open", chromedp.Click(byTestID("session-open")), chromedp.WaitVisible(byTestID("instance-cfid")))
	if got := s.text(`[data-testid="instance-cfid"]`); got != alice {
		t.Fatalf("the page shows cfid %q, want %s", got, alice)
	}
	html, err := chromedp.Run(s.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "4111111111111111"} {
		if strings.Contains(html, secret) {
			t.Errorf("the page holds the sensitive value %q", secret)
		}
	}
	if got := s.text(`[data-testid="masked-password"]`); got != "••••" {
		t.Errorf("password shows %q", got)
	}
	// Strings show as their text: no JSON escapes, no markup of theirs.
	if got := s.text(`[data-testid="data-email"]`); got != "alice@example.com" {
		t.Errorf("email shows %q", got)
	}
	if got := s.text(`[data-testid="data-note"]`); got != `<b>bold</b> & 'quotes'` {
		t.Errorf("note shows %q, want <b>bold</b> & 'quotes' as text", got)
	}
	if s.js(`document.querySelector('[data-testid="data"] b') !== null`) {
		t.Error("the note's <b> became markup")
	}
	shotsWideAndNarrow(t, s.ctx, "sessions-03-open", chromedp.WaitVisible(byTestID("data-note")))

	s.step("invalidate",
		chromedp.Click(byTestID("invalidate-confirm")),
		chromedp.Click(byTestID("invalidate-submit")),
		chromedp.WaitVisible(byTestID("flash")),
		sessionRows(12),
	)
	if f := s.text(`[data-testid="flash"]`); !strings.Contains(f, "invalidated") {
		t.Errorf("flash %q", f)
	}
	screenshot(t, s.ctx, "sessions-04-invalidated")

	// The application's next load of it answers 404.
	if status, body := s.api("GET", "/api/v1/apps/shop/sessions/"+alice, ""); status != http.StatusNotFound {
		t.Fatalf("the API after invalidating: %d %s", status, body)
	}

	// The confirmation of "invalidate all" names the count.
	s.step("invalidate all", chromedp.Click(byTestID("invalidate-all-link")), chromedp.WaitVisible(byTestID("invalidate-all-count")))
	if got := strings.Join(strings.Fields(s.text(`[data-testid="invalidate-all-count"]`)), " "); got != "shop has 12 live sessions in storage memory." {
		t.Errorf("invalidate all says %q", got)
	}
	screenshot(t, s.ctx, "sessions-05-invalidate-all")

	// A session the app ends while its page is open: the reload stays in
	// the console, says what happened, and leads back to the list.
	peggy := s.create(`{"email":"peggy2@example.com"}`)
	s.step("open peggy", chromedp.Navigate(s.url+"/admin/sessions/shop/session/"+peggy), chromedp.WaitVisible(byTestID("instance-cfid")))
	if status, body := s.api("DELETE", "/api/v1/apps/shop/sessions/"+peggy, ""); status != http.StatusNoContent {
		t.Fatalf("the app's invalidate: %d %s", status, body)
	}
	s.step("reload gone", chromedp.Reload(), chromedp.WaitVisible(byTestID("error-back")))
	if h := s.text(`[data-testid="error-heading"]`); h != "Session "+peggy[:8]+"… is gone" {
		t.Errorf("heading %q", h)
	}
	if m := s.text(`[data-testid="error-message"]`); !strings.Contains(m, "expired or was invalidated") {
		t.Errorf("message %q", m)
	}
	if !s.js(`document.querySelector('[data-testid="nav-sessions"][aria-current="page"]') !== null`) {
		t.Error("the gone session's page lost the console's navigation")
	}
	shotsWideAndNarrow(t, s.ctx, "sessions-06-gone", chromedp.WaitVisible(byTestID("error-back")))
	s.step("back to the list", chromedp.Click(byTestID("error-back")), chromedp.WaitVisible(byTestID("sessions-table")), sessionRows(12))
	if loc, err := chromedp.Run(s.ctx, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/admin/sessions?app=shop&scope=session") {
		t.Errorf("the way back leads to %q (%v)", loc, err)
	}
}

// TestSessionsOnAPhone: with more sessions than a page holds, the list says
// that sorting by last visit sorts a page only, and on a 390 px phone both
// the list and a session's page fit the screen, the list keeping last
// visit, expiry and size.
func TestSessionsOnAPhone(t *testing.T) {
	s := startSessions(t)
	var last string
	for i := range 61 {
		last = s.create(`{"email":"visitor` + strconv.Itoa(i) + `@example.com","cart":[{"sku":"A-` + strconv.Itoa(i) + `","qty":1}],` +
			`"referrer":"https://www.example.com/a/rather/long/path/that/does/not/wrap?utm_source=newsletter&utm_campaign=spring"}`)
	}
	s.api("GET", "/api/v1/apps/shop/sessions/"+last, "")

	s.step("sessions", chromedp.Navigate(s.url+"/admin/sessions?app=shop&live=off"), chromedp.WaitVisible(byTestID("sessions-table")), sessionRows(50))
	if hint := s.text(`[data-testid="order-hint"]`); !strings.Contains(hint, "this page only") || !strings.Contains(hint, "cfid order") {
		t.Errorf("the sort says %q", hint)
	}
	if note := s.text(`[data-testid="page-note"]`); !strings.Contains(note, "sorted by last visit within this page") ||
		!strings.Contains(note, "pages follow cfid order") || !strings.Contains(note, "newest may be on another page") {
		t.Errorf("page note %q", note)
	}
	shotsWideAndNarrow(t, s.ctx, "sessions-07-list-61", sessionRows(50))

	s.step("phone", chromedp.EmulateViewport(narrowWidth, 844), chromedp.Reload(), sessionRows(50))
	fits(t, s.ctx, "the list")
	visible := func(header string) bool {
		return s.js(`[...document.querySelectorAll('[data-testid="sessions"] th')].some(th => th.textContent.includes(` +
			strconv.Quote(header) + `) && th.getBoundingClientRect().width > 0)`)
	}
	for _, col := range []string{"cfid", "Last visit", "Expires", "Size"} {
		if !visible(col) {
			t.Errorf("the phone's list hides %s", col)
		}
	}
	for _, col := range []string{"Storage", "Created", "Version"} {
		if visible(col) {
			t.Errorf("the phone's list shows %s", col)
		}
	}
	s.step("open on the phone", chromedp.Navigate(s.url+"/admin/sessions/shop/session/"+last), chromedp.WaitVisible(byTestID("data-referrer")))
	fits(t, s.ctx, "a session's page")

	// Any error of a signed-in administrator keeps the console around it.
	s.step("no such page", chromedp.Navigate(s.url+"/admin/nowhere"), chromedp.WaitVisible(byTestID("error-back")))
	if !s.js(`document.querySelector('[data-testid="nav-overview"]') !== null`) {
		t.Error("a 404 lost the console's navigation")
	}
	shotsWideAndNarrow(t, s.ctx, "sessions-08-error-404", chromedp.WaitVisible(byTestID("error-back")))
	s.step("wide", chromedp.EmulateReset())
}
