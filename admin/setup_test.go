package admin_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/connections"
	"github.com/scopestore/scopestore/connections/configstore"
	"github.com/scopestore/scopestore/connections/cookie"
	"github.com/scopestore/scopestore/scopes"
)

// testConsole is the admin console over a real config store (SQLite) and the
// real storages, served by httptest, with a browser-like client: a cookie jar,
// no automatic redirects, and the CSRF token of the last page it read.
type testConsole struct {
	t      *testing.T
	srv    *httptest.Server
	client *http.Client
	csrf   string
	config *configstore.Store
	dir    *scopes.Directory
	mgr    *connections.Manager
	engine *scopes.Engine
	// e is the console's echo instance, whose routes the role test walks.
	e *echo.Echo
}

const testPassword = "correct horse battery"

// newTestConsole starts a console whose admin password is testPassword
// (SCOPESTORE_ADMIN_PASSWORD), or with no password when setup is true.
func newTestConsole(t *testing.T, setup bool) *testConsole {
	t.Helper()
	return newTestConsoleOn(t, setup, nil)
}

// newTestConsoleOn starts a console as newTestConsole does, with its
// engine's storages passed through wrap (nil: as they are) and each
// configure adjusting its options before admin.New reads them.
func newTestConsoleOn(t *testing.T, setup bool, wrap func(scopes.Storages) scopes.Storages, configure ...func(*admin.Options)) *testConsole {
	t.Helper()
	dataDir := t.TempDir()
	cs, err := configstore.Open(context.Background(), "", dataDir, bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg := connections.NewRegistry(dataDir, cs)
	// As cmd wires it: the cookie storage's keys come from the secret key.
	ring, err := cookie.NewRing(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg.UseCookieKeys(ring)
	dir := scopes.NewDirectory(cs, reg)
	dir.CacheTTL = 0
	mgr := connections.NewManager(cs, reg, dir)
	dir.Auditor, mgr.Auditor = cs, cs
	var storages scopes.Storages = reg
	if wrap != nil {
		storages = wrap(storages)
	}
	eng := scopes.NewEngine(storages)
	opts := admin.Options{Directory: dir, Connections: mgr, Admins: cs, Engine: eng, Version: "test", ConfigStore: "sqlite",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if !setup {
		opts.InitialPassword = testPassword
	}
	for _, f := range configure {
		f(&opts)
	}
	e := admin.New(opts)
	srv := httptest.NewServer(e)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(func() {
		srv.Close()
		_ = reg.Close()
		_ = cs.Close()
	})
	return &testConsole{t: t, srv: srv, client: client, config: cs, dir: dir, mgr: mgr, engine: eng, e: e}
}

// page is a response with its HTML parsed.
type page struct {
	status   int
	location string
	body     string
	doc      *goquery.Document
	header   http.Header
}

// testid returns the text of the element with that data-testid.
func (p page) testid(id string) string {
	return strings.TrimSpace(p.doc.Find(`[data-testid="` + id + `"]`).Text())
}

func (tc *testConsole) do(req *http.Request) page {
	tc.t.Helper()
	res, err := tc.client.Do(req)
	if err != nil {
		tc.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		tc.t.Fatal(err)
	}
	if v, ok := doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok && v != "" {
		tc.csrf = v
	}
	return page{status: res.StatusCode, location: res.Header.Get("Location"), body: string(b), doc: doc, header: res.Header}
}

// get reads a page.
func (tc *testConsole) get(path string) page {
	tc.t.Helper()
	req, _ := http.NewRequest("GET", tc.srv.URL+path, nil)
	return tc.do(req)
}

// post submits a form with the CSRF token of the last page read.
func (tc *testConsole) post(path string, form url.Values) page {
	tc.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		form.Set("_csrf", tc.csrf)
	}
	return tc.postRaw(path, form)
}

// postRaw submits a form as it is, CSRF token or not.
func (tc *testConsole) postRaw(path string, form url.Values) page {
	tc.t.Helper()
	req, _ := http.NewRequest("POST", tc.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return tc.do(req)
}

// login signs in as admin with testPassword.
func (tc *testConsole) login() {
	tc.t.Helper()
	tc.get("/admin/login")
	p := tc.post("/admin/login", url.Values{"username": {"admin"}, "password": {testPassword}})
	if p.status != http.StatusSeeOther || p.location != "/admin/" {
		tc.t.Fatalf("login: %d → %q\n%s", p.status, p.location, p.body)
	}
}

func mustStatus(t *testing.T, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d\n%s", p.status, status, p.body)
	}
}
