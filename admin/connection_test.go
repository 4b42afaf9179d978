package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// hxPost submits a form as htmx does: with the HX-Request header and the
// CSRF token of the last page read.
func (tc *testConsole) hxPost(path string, form url.Values) page {
	tc.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", tc.csrf)
	req, _ := http.NewRequest("POST", tc.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	return tc.do(req)
}

// hxGet reads a fragment as htmx does.
func (tc *testConsole) hxGet(path string) page {
	tc.t.Helper()
	req, _ := http.NewRequest("GET", tc.srv.URL+path, nil)
	req.Header.Set("HX-Request", "true")
	return tc.do(req)
}

// follow reads the page a 303 leads to.
func (tc *testConsole) follow(p page) page {
	tc.t.Helper()
	if p.status != http.StatusSeeOther {
		tc.t.Fatalf("status %d, want 303\n%s", p.status, p.body)
	}
	return tc.get(p.location)
}

// inputValue returns the value of the input with that name.
func inputValue(p page, name string) string {
	v, _ := p.doc.Find(`input[name="` + name + `"]`).Attr("value")
	return v
}

// checkResults returns the text of each check Verify reported on the page.
func checkResults(p page) []string {
	var out []string
	p.doc.Find(`[data-testid="check"]`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.Join(strings.Fields(s.Text()), " "))
	})
	return out
}

// redisCache is the form of a Redis cache on the test server, under a key
// prefix of its own.
func redisCache(t *testing.T, name string) url.Values {
	return url.Values{"type": {"redis"}, "name": {name}, "url": {conntest.RedisURL(t)},
		"prefix": {conntest.RedisPrefix(t)}, "storage": {"on"}, "verify": {"on"}}
}

func TestCreateRedisCacheAndVerify(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	form := redisCache(t, "sessions")

	p := tc.get("/admin/caches/new?type=redis")
	mustStatus(t, p, http.StatusOK)
	if _, on := p.doc.Find(`input[name="storage"]`).Attr("checked"); !on {
		t.Error("a new cache's Storage box is not ticked")
	}
	if _, on := p.doc.Find(`input[name="verify"]`).Attr("checked"); !on {
		t.Error("Verify on save is not ticked by default")
	}
	if !strings.Contains(p.body, "Allow to use this cache as client/session storage.") {
		t.Error("the Storage box lacks Lucee's wording")
	}

	p = tc.post("/admin/caches", form)
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/caches/sessions" {
		t.Errorf("created → %q", p.location)
	}
	p = tc.get(p.location)
	mustStatus(t, p, http.StatusOK)
	flash := p.testid("flash")
	if !strings.Contains(flash, "Verify passed every check") || !strings.Contains(flash, "connect") {
		t.Errorf("flash after create: %q", flash)
	}
	if cls, _ := p.doc.Find(`[data-testid="flash"]`).Attr("class"); !strings.Contains(cls, "ok") {
		t.Errorf("flash class %q", cls)
	}

	conn, err := tc.mgr.Connection(context.Background(), "sessions")
	if err != nil || !conn.Storage || conn.Type != "redis" || conn.Kind != "cache" || conn.Params["prefix"] != form.Get("prefix") {
		t.Fatalf("stored %+v, %v", conn, err)
	}

	p = tc.get("/admin/caches")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("storage-sessions"); got != "yes" {
		t.Errorf("Storage column %q, want yes", got)
	}
	if got := p.testid("type-sessions"); got != "Redis" {
		t.Errorf("type column %q", got)
	}
	// Verify ran on save, and its result is kept.
	if got := p.doc.Find(`[data-testid="status-sessions"] [data-testid="verify-status"]`).Text(); got != "verified" {
		t.Errorf("status after Verify on save %q", got)
	}
	if got := p.testid("server-sessions"); got != form.Get("url") {
		t.Errorf("server column %q, want %q", got, form.Get("url"))
	}

	// Verify with htmx: the result replaces the status in the row.
	p = tc.hxPost("/admin/caches/sessions/verify", nil)
	mustStatus(t, p, http.StatusOK)
	if strings.Contains(p.body, "<html") {
		t.Error("htmx got a whole page, not the result alone")
	}
	if got := p.testid("verify-status"); got != "verified" {
		t.Errorf("verify status %q\n%s", got, p.body)
	}
	checks := checkResults(p)
	if len(checks) < 4 {
		t.Fatalf("checks %q", checks)
	}
	for _, ch := range checks {
		if !strings.HasPrefix(ch, "ok ") {
			t.Errorf("check %q did not pass", ch)
		}
	}

	// Without JS: a page with the same result.
	tc.get("/admin/caches")
	p = tc.post("/admin/caches/sessions/verify", nil)
	mustStatus(t, p, http.StatusOK)
	if p.testid("verify-status") != "verified" || p.testid("nav-caches") == "" {
		t.Errorf("verify page: status %q\n%s", p.testid("verify-status"), p.body)
	}

	// A cache is not a datasource.
	mustStatus(t, tc.get("/admin/datasources/sessions"), http.StatusNotFound)
}

func TestPasswordNeverShown(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	ctx := context.Background()
	const secret = "Sup3r-Secret-Passw0rd"
	const urlSecret = "Url-Held-Passw0rd"
	var pages []page
	seen := func(what string, p page) {
		t.Helper()
		pages = append(pages, p)
		for _, s := range []string{secret, urlSecret} {
			if strings.Contains(p.body, s) {
				t.Errorf("%s shows the password %q", what, s)
			}
		}
	}

	// The server has no password: Verify fails, and says so without it.
	tc.get("/admin/caches/new?type=redis")
	form := url.Values{"type": {"redis"}, "name": {"locked"}, "host": {"127.0.0.1"}, "port": {"6379"},
		"password": {secret}, "storage": {"on"}, "verify": {"on"}, "prefix": {"scopestore_t_pw:"}}
	p := tc.post("/admin/caches", form)
	mustStatus(t, p, http.StatusSeeOther)
	p = tc.get(p.location)
	seen("the page after create", p)
	if _, err := tc.mgr.Connection(ctx, "locked"); err != nil {
		t.Fatal(err)
	}
	stored, _, _ := tc.config.Connection(ctx, "locked")
	if stored.Secret != secret {
		t.Fatalf("stored secret %q", stored.Secret)
	}

	// The edit form: empty password, "leave empty to keep", "remove".
	p = tc.get("/admin/caches/locked")
	seen("the edit form", p)
	if v := inputValue(p, "password"); v != "" {
		t.Errorf("password input value %q", v)
	}
	if hint := p.testid("password-hint"); !strings.Contains(hint, "leave empty to keep") {
		t.Errorf("password hint %q", hint)
	}
	if p.doc.Find(`input[name="remove_password"]`).Length() != 1 {
		t.Error("no remove password checkbox")
	}
	seen("the list", tc.get("/admin/caches"))
	seen("verify", tc.post("/admin/caches/locked/verify", nil))
	seen("verify with htmx", tc.hxPost("/admin/caches/locked/verify", nil))

	// An error re-render shows every value but the password.
	tc.get("/admin/caches/new?type=redis")
	bad := url.Values{"type": {"redis"}, "name": {"broken"}, "host": {"127.0.0.1"}, "port": {"99999"}, "password": {secret}}
	p = tc.post("/admin/caches", bad)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	seen("the create form with errors", p)
	if inputValue(p, "port") != "99999" || inputValue(p, "host") != "127.0.0.1" {
		t.Errorf("values not kept: port %q host %q", inputValue(p, "port"), inputValue(p, "host"))
	}
	tc.get("/admin/caches/locked")
	p = tc.post("/admin/caches/locked", url.Values{"host": {"127.0.0.1"}, "port": {"0"}, "password": {secret}, "storage": {"on"}})
	mustStatus(t, p, http.StatusUnprocessableEntity)
	seen("the edit form with errors", p)

	// Saving with the password left empty keeps it; "remove" removes it.
	tc.get("/admin/caches/locked")
	p = tc.post("/admin/caches/locked", url.Values{"host": {"127.0.0.1"}, "port": {"6380"}, "storage": {"on"}})
	mustStatus(t, p, http.StatusSeeOther)
	seen("the page after an edit", tc.get(p.location))
	if stored, _, _ = tc.config.Connection(ctx, "locked"); stored.Secret != secret || stored.Params["port"] != "6380" {
		t.Errorf("after an edit without password: secret kept %t, port %q", stored.Secret == secret, stored.Params["port"])
	}
	p = tc.post("/admin/caches/locked", url.Values{"host": {"127.0.0.1"}, "port": {"6380"}, "storage": {"on"}, "remove_password": {"on"}})
	mustStatus(t, p, http.StatusSeeOther)
	tc.get(p.location)
	if stored, _, _ = tc.config.Connection(ctx, "locked"); stored.Secret != "" {
		t.Error("remove password kept it")
	}

	// A password typed into a URL is moved to the password and never shown.
	tc.get("/admin/caches/new?type=redis")
	p = tc.post("/admin/caches", url.Values{"type": {"redis"}, "name": {"inurl"}, "url": {"redis://:" + urlSecret + "@127.0.0.1:6379/0"}})
	mustStatus(t, p, http.StatusSeeOther)
	p = tc.get(p.location)
	seen("the page of a cache whose url had a password", p)
	stored, _, _ = tc.config.Connection(ctx, "inurl")
	if stored.Secret != urlSecret || strings.Contains(stored.Params["url"], urlSecret) {
		t.Errorf("stored url %q, secret moved %t", stored.Params["url"], stored.Secret == urlSecret)
	}
	if v := inputValue(p, "url"); v != "redis://127.0.0.1:6379/0" {
		t.Errorf("url shown as %q", v)
	}

	// The same for a MySQL DSN and a PostgreSQL URL, also one that does not
	// parse; none is verified (no server listens on port 1).
	for _, c := range []struct{ typ, param, value, shown, secret string }{
		{"mysql", "dsn", "app:" + urlSecret + "@tcp(127.0.0.1:1)/sessions", "app@tcp(127.0.0.1:1)/sessions", urlSecret},
		{"postgres", "url", "postgres://app:" + urlSecret + "@127.0.0.1:1/sessions", "postgres://app@127.0.0.1:1/sessions", urlSecret},
		{"postgres", "url", "postgres://app:" + urlSecret + "%zz@127.0.0.1:1/sessions", "postgres://app@127.0.0.1:1/sessions", urlSecret + "%zz"},
	} {
		name := c.typ + "-" + strings.Repeat("x", len(pages))
		tc.get("/admin/datasources/new?type=" + c.typ)
		p = tc.post("/admin/datasources", url.Values{"type": {c.typ}, "name": {name}, c.param: {c.value}})
		seen("the answer to a "+c.typ+" form with a password in its "+c.param, p)
		if p.status != http.StatusSeeOther {
			continue // the unparsable URL is refused, without showing the password
		}
		p = tc.get(p.location)
		seen("the page of a "+c.typ+" datasource", p)
		if v := inputValue(p, c.param); v != c.shown {
			t.Errorf("%s shown as %q", c.param, v)
		}
		if stored, _, _ = tc.config.Connection(ctx, name); stored.Secret != c.secret {
			t.Errorf("%s %s: secret not moved: %q", c.typ, c.param, stored.Params[c.param])
		}
	}
	seen("the audit log", tc.get("/admin/audit"))

	// A connection defined elsewhere with the password in its URL: the form
	// hides it, and saving the form keeps it.
	err := tc.mgr.Create(ctx, scopes.Connection{Name: "cli", Type: "postgres", Storage: true,
		Params: map[string]string{"url": "postgres://app:" + secret + "@127.0.0.1:1/sessions"}})
	if err != nil {
		t.Fatal(err)
	}
	p = tc.get("/admin/datasources/cli")
	seen("the page of a connection with a password in its url", p)
	if !strings.Contains(p.testid("password-hint"), "leave empty to keep") {
		t.Errorf("password hint %q", p.testid("password-hint"))
	}
	p = tc.post("/admin/datasources/cli", url.Values{"url": {inputValue(p, "url")}, "storage": {"on"}})
	mustStatus(t, p, http.StatusSeeOther)
	seen("the page after saving it", tc.get(p.location))
	if stored, _, _ = tc.config.Connection(ctx, "cli"); stored.Secret != secret || strings.Contains(stored.Params["url"], secret) {
		t.Errorf("after saving: url %q, password kept %t", stored.Params["url"], stored.Secret == secret)
	}
	seen("the datasources", tc.get("/admin/datasources"))
	if len(pages) < 10 {
		t.Errorf("checked %d pages", len(pages))
	}
}

func TestConnectionFormErrors(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	ctx := context.Background()

	t.Run("port and missing host", func(t *testing.T) {
		tc.get("/admin/caches/new?type=redis")
		p := tc.post("/admin/caches", url.Values{"type": {"redis"}, "name": {"bad"}, "port": {"99999"},
			"prefix": {"mine:"}, "timeout": {"3s"}, "storage": {"on"}})
		mustStatus(t, p, http.StatusUnprocessableEntity)
		if got := p.testid("error-port"); got != "Port must be a whole number from 1 to 65535." {
			t.Errorf("port message %q", got)
		}
		if got := p.testid("error-host"); !strings.HasPrefix(got, "Host is required") || !strings.Contains(got, "URL") {
			t.Errorf("host message %q", got)
		}
		for name, want := range map[string]string{"name": "bad", "port": "99999", "prefix": "mine:", "timeout": "3s"} {
			if got := inputValue(p, name); got != want {
				t.Errorf("%s shown as %q, want %q", name, got, want)
			}
		}
		if cls, _ := p.doc.Find(`input[name="port"]`).Parent().Attr("class"); !strings.Contains(cls, "invalid") {
			t.Errorf("port field class %q", cls)
		}
	})

	t.Run("sentinel without master", func(t *testing.T) {
		tc.get("/admin/caches/new?type=redis")
		p := tc.post("/admin/caches", url.Values{"type": {"redis"}, "name": {"sent"}, "host": {"10.0.0.1"}, "mode": {"sentinel"}})
		mustStatus(t, p, http.StatusUnprocessableEntity)
		if got := p.testid("error-master"); !strings.Contains(got, "Sentinel") {
			t.Errorf("master message %q", got)
		}
		if sel := p.doc.Find(`select[name="mode"] option[selected]`).AttrOr("value", ""); sel != "sentinel" {
			t.Errorf("mode shown as %q", sel)
		}
	})

	t.Run("bad name", func(t *testing.T) {
		tc.get("/admin/caches/new?type=redis")
		p := tc.post("/admin/caches", url.Values{"type": {"redis"}, "name": {"9 lives"}, "host": {"127.0.0.1"}})
		mustStatus(t, p, http.StatusUnprocessableEntity)
		if got := p.testid("error-name"); !strings.HasPrefix(got, "Name must start with a letter") {
			t.Errorf("name message %q", got)
		}
	})

	if conns, _ := tc.mgr.Connections(ctx); len(conns) != 0 {
		t.Fatalf("bad forms created %v", conns)
	}

	t.Run("duplicate name", func(t *testing.T) {
		tc.get("/admin/caches/new?type=redis")
		mustStatus(t, tc.post("/admin/caches", url.Values{"type": {"redis"}, "name": {"dup"}, "host": {"127.0.0.1"}}), http.StatusSeeOther)
		tc.get("/admin/caches/new?type=redis")
		p := tc.post("/admin/caches", url.Values{"type": {"redis"}, "name": {"DUP"}, "host": {"127.0.0.2"}})
		mustStatus(t, p, http.StatusConflict)
		if got := p.testid("error-name"); !strings.Contains(got, "named DUP exists already") {
			t.Errorf("name message %q", got)
		}
		if inputValue(p, "host") != "127.0.0.2" {
			t.Error("values lost")
		}
		if c, _ := tc.mgr.Connection(ctx, "dup"); c.Params["host"] != "127.0.0.1" {
			t.Errorf("the duplicate changed the first: %v", c.Params)
		}
	})

	t.Run("types", func(t *testing.T) {
		p := tc.get("/admin/datasources/new")
		mustStatus(t, p, http.StatusOK)
		for _, typ := range []string{"mysql", "postgres", "sqlite"} {
			if p.doc.Find(`[data-testid="type-`+typ+`"]`).Length() != 1 {
				t.Errorf("no choice of %s", typ)
			}
		}
		if p.doc.Find(`[data-testid="type-redis"]`).Length() != 0 {
			t.Error("redis offered as a datasource")
		}
		p = tc.post("/admin/caches", url.Values{"type": {"mysql"}, "name": {"my"}, "host": {"127.0.0.1"}, "database": {"x"}})
		mustStatus(t, p, http.StatusBadRequest)
	})

	t.Run("other types are listed with a note", func(t *testing.T) {
		err := tc.mgr.Create(ctx, scopes.Connection{Name: "ramcache", Type: "ram"})
		if err != nil {
			t.Fatal(err)
		}
		p := tc.get("/admin/caches")
		if !strings.Contains(p.testid("note-ramcache"), "cannot keep scopes") {
			t.Errorf("note %q", p.testid("note-ramcache"))
		}
		p = tc.get("/admin/caches/ramcache")
		mustStatus(t, p, http.StatusOK)
		if p.testid("note") == "" || p.doc.Find(`input[name="servers"]`).Length() != 0 {
			t.Error("a ram cache is not shown read-only")
		}
	})
}

// A memcached cache is created from the console's form with its Storage
// flag, and Verify runs its checks on a real memcached.
func TestCreateMemcachedCacheAndVerify(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	addr := conntest.MemcachedAddr(t)

	p := tc.get("/admin/caches/new")
	mustStatus(t, p, http.StatusOK)
	for _, typ := range []string{"redis", "memcached", "couchdb", "couchbase"} {
		if p.doc.Find(`[data-testid="type-`+typ+`"]`).Length() != 1 {
			t.Errorf("no choice of %s among the caches", typ)
		}
	}
	p = tc.get("/admin/caches/new?type=memcached")
	mustStatus(t, p, http.StatusOK)
	for _, f := range []string{"servers", "prefix", "timeout"} {
		if p.doc.Find(`input[name="`+f+`"]`).Length() != 1 {
			t.Errorf("no %s field", f)
		}
	}
	if !strings.Contains(p.testid("memcached-note"), "cannot list") {
		t.Errorf("memcached note %q", p.testid("memcached-note"))
	}

	p = tc.post("/admin/caches", url.Values{"type": {"memcached"}, "name": {"mc"}, "storage": {"on"}, "verify": {"on"}})
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.testid("error-servers"); !strings.HasPrefix(got, "Servers is required") {
		t.Errorf("servers message %q", got)
	}

	p = tc.post("/admin/caches", url.Values{"type": {"memcached"}, "name": {"mc"}, "servers": {addr},
		"prefix": {"scopestore_t_admin:"}, "timeout": {"2s"}, "storage": {"on"}, "verify": {"on"}})
	mustStatus(t, p, http.StatusSeeOther)
	conn, err := tc.mgr.Connection(context.Background(), "mc")
	if err != nil || !conn.Storage || conn.Type != "memcached" || conn.Params["servers"] != addr || conn.Params["timeout"] != "2s" {
		t.Fatalf("stored %+v, %v", conn, err)
	}
	p = tc.get(p.location)
	mustStatus(t, p, http.StatusOK)
	if flash := p.testid("flash"); !strings.Contains(flash, "Verify passed every check") {
		t.Errorf("flash after create: %q", flash)
	}
	if p.doc.Find(`input[name="servers"]`).Length() != 1 {
		t.Error("a memcached cache is not editable in the console")
	}
	p = tc.hxPost("/admin/caches/mc/verify", nil)
	mustStatus(t, p, http.StatusOK)
	checks := checkResults(p)
	if len(checks) != 5 {
		t.Fatalf("checks %q, want connect, write with TTL, read, compare-and-set, delete", checks)
	}
	for _, ch := range checks {
		if !strings.HasPrefix(ch, "ok ") {
			t.Errorf("check %q did not pass", ch)
		}
	}

	// CouchDB and Couchbase forms render, with their fields.
	for typ, fields := range map[string][]string{
		"couchdb":   {"url", "username", "password", "timeout"},
		"couchbase": {"url", "bucket", "scope", "collection", "username", "password", "timeout"},
	} {
		p := tc.get("/admin/caches/new?type=" + typ)
		mustStatus(t, p, http.StatusOK)
		for _, f := range fields {
			if p.doc.Find(`input[name="`+f+`"]`).Length() != 1 {
				t.Errorf("%s form: no %s field", typ, f)
			}
		}
	}
}

func TestRefusedWhileInUse(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	ctx := context.Background()
	tc.get("/admin/caches/new?type=redis")
	mustStatus(t, tc.post("/admin/caches", url.Values{"type": {"redis"}, "name": {"shared"}, "url": {"redis://127.0.0.1:6379/0"},
		"storage": {"on"}}), http.StatusSeeOther)
	if _, err := tc.dir.CreateApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"sessionStorage": "shared"}); err != nil {
		t.Fatal(err)
	}

	// Delete asks first, on a page of its own.
	tc.get("/admin/caches")
	p := tc.post("/admin/caches/shared/delete", nil)
	mustStatus(t, p, http.StatusOK)
	if p.doc.Find(`[data-testid="confirm-delete"]`).Length() != 1 || inputValue(p, "confirm") != "yes" {
		t.Fatalf("no confirmation\n%s", p.body)
	}
	p = tc.post("/admin/caches/shared/delete", url.Values{"confirm": {"yes"}})
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/caches/shared" {
		t.Errorf("refused delete → %q", p.location)
	}
	p = tc.get(p.location)
	flash := p.testid("flash")
	for _, want := range []string{"Cannot delete connection shared", "app shop", "Scope page", "Nothing was deleted"} {
		if !strings.Contains(flash, want) {
			t.Errorf("flash %q lacks %q", flash, want)
		}
	}
	if _, err := tc.mgr.Connection(ctx, "shared"); err != nil {
		t.Errorf("deleted after all: %v", err)
	}

	// Unflagging Storage is refused the same way, and saves nothing.
	p = tc.post("/admin/caches/shared", url.Values{"url": {"redis://127.0.0.1:6379/1"}})
	mustStatus(t, p, http.StatusConflict)
	if flash := p.testid("flash"); !strings.Contains(flash, "app shop") || !strings.Contains(flash, "Nothing was saved") {
		t.Errorf("flash %q", flash)
	}
	if c, _ := tc.mgr.Connection(ctx, "shared"); !c.Storage || c.Params["url"] != "redis://127.0.0.1:6379/0" {
		t.Errorf("a refused edit changed %+v", c)
	}

	// A connection nobody uses goes.
	tc.get("/admin/caches/new?type=redis")
	mustStatus(t, tc.post("/admin/caches", url.Values{"type": {"redis"}, "name": {"spare"}, "host": {"127.0.0.1"}}), http.StatusSeeOther)
	tc.get("/admin/caches/spare")
	p = tc.post("/admin/caches/spare/delete", url.Values{"confirm": {"yes"}})
	if p.location != "/admin/caches" {
		t.Errorf("delete → %d %q", p.status, p.location)
	}
	if !strings.Contains(tc.get(p.location).testid("flash"), "spare is deleted") {
		t.Error("no flash after delete")
	}
	if _, err := tc.mgr.Connection(ctx, "spare"); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Errorf("still there: %v", err)
	}
}

func TestConnectionFormsNeedCSRFToken(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.get("/admin/caches/new?type=redis")
	form := url.Values{"type": {"redis"}, "name": {"sneaky"}, "host": {"127.0.0.1"}, "storage": {"on"}}
	mustStatus(t, tc.postRaw("/admin/caches", form), http.StatusForbidden)
	form.Set("_csrf", "wrong")
	mustStatus(t, tc.postRaw("/admin/caches", form), http.StatusForbidden)
	if conns, _ := tc.mgr.Connections(context.Background()); len(conns) != 0 {
		t.Errorf("created %v", conns)
	}
}
