package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/connections/conntest"
)

// status returns the Status cell's badge, when and why of a connection's row.
func status(p page, name string) (badge, when, failure string) {
	box := p.doc.Find(`[data-testid="status-` + name + `"]`)
	return strings.TrimSpace(box.Find(`[data-testid="verify-status"]`).Text()),
		strings.TrimSpace(box.Find(`[data-testid="verified-at"]`).Text()),
		strings.TrimSpace(box.Find(`[data-testid="verify-failure"]`).Text())
}

// TestVerifyResultIsKept is issue 13's first defect: right after "Verify
// passed every check" the Status said "not verified", and so did every row
// of the lists. Verify's result, its time and the failing step are kept in
// the config store and shown in the lists with the server's address.
func TestVerifyResultIsKept(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	ctx := context.Background()

	// Verify on save: passed, kept, and shown on the page the save leads to.
	tc.get("/admin/caches/new?type=redis")
	form := redisCache(t, "sessions")
	form.Set("url", strings.Replace(form.Get("url"), "redis://", "redis://:Pw-in-url-123@", 1))
	p := tc.follow(tc.post("/admin/caches", form))
	if !strings.Contains(p.testid("flash"), "Verify passed every check") {
		t.Fatalf("flash %q", p.testid("flash"))
	}
	if got := p.doc.Find(`[data-testid="verify-status"]`).First().Text(); got != "verified" {
		t.Errorf("Status right after Verify passed: %q", got)
	}
	if got := p.testid("verified-at"); got != "just now" {
		t.Errorf("verified %q", got)
	}

	// Verify on save: failed (nothing listens on port 1), with the step that failed.
	tc.get("/admin/datasources/new?type=mysql")
	p = tc.post("/admin/datasources", url.Values{"type": {"mysql"}, "name": {"gone"}, "host": {"127.0.0.1"}, "port": {"1"},
		"database": {"sessions"}, "username": {"app"}, "timeout": {"1"}, "storage": {"on"}, "verify": {"on"}})
	mustStatus(t, p, http.StatusSeeOther)
	tc.get(p.location)
	// Saved without Verify: not verified.
	tc.get("/admin/datasources/new?type=sqlite")
	mustStatus(t, tc.post("/admin/datasources", url.Values{"type": {"sqlite"}, "name": {"local"},
		"file": {filepath.Join(t.TempDir(), "s.db")}, "storage": {"on"}}), http.StatusSeeOther)

	p = tc.get("/admin/caches")
	if badge, when, _ := status(p, "sessions"); badge != "verified" || when != "just now" {
		t.Errorf("caches list: %q %q", badge, when)
	}
	if got := p.testid("server-sessions"); got != conntest.RedisURL(t) || strings.Contains(p.body, "Pw-in-url-123") {
		t.Errorf("server column %q (the password must not show)", got)
	}
	p = tc.get("/admin/datasources")
	if badge, _, failure := status(p, "gone"); badge != "failed" || !strings.HasPrefix(failure, "connect: ") {
		t.Errorf("datasources list, gone: %q, %q", badge, failure)
	}
	if badge, when, _ := status(p, "local"); badge != "not verified" || when != "" {
		t.Errorf("datasources list, local: %q %q", badge, when)
	}
	if got := p.testid("server-gone"); got != "app@127.0.0.1:1/sessions" {
		t.Errorf("server column %q", got)
	}

	// The Verify button keeps its result too, whoever looks next.
	tc.hxPost("/admin/datasources/local/verify", nil)
	if badge, when, _ := status(tc.get("/admin/datasources"), "local"); badge != "verified" || when != "just now" {
		t.Errorf("after the Verify button: %q %q", badge, when)
	}
	if c, _ := tc.mgr.Connection(ctx, "local"); !c.Verified.OK || c.Verified.At.IsZero() {
		t.Errorf("not kept in the config store: %+v", c.Verified)
	}

	// An edit saved without Verify says so: the result was of the old settings.
	p = tc.get("/admin/datasources/local")
	edit := browserForm(t, p, `[data-testid="connection-form"]`)
	edit.Del("verify")
	tc.follow(tc.post("/admin/datasources/local", edit))
	if badge, _, _ := status(tc.get("/admin/datasources"), "local"); badge != "not verified" {
		t.Errorf("after an edit without Verify: %q", badge)
	}
}

// TestOverviewKeepsStorageHealth: the Overview's health check of the
// storages in use is kept, and the lists show it when it is newer than the
// last Verify.
func TestOverviewKeepsStorageHealth(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	ctx := context.Background()
	tc.get("/admin/caches/new?type=redis")
	mustStatus(t, tc.post("/admin/caches", url.Values{"type": {"redis"}, "name": {"down"}, "host": {"127.0.0.1"},
		"port": {"1"}, "storage": {"on"}}), http.StatusSeeOther)
	tc.createApp(t, "shop")
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"sessionStorage": "down"}); err != nil {
		t.Fatal(err)
	}

	p := tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("health-down"); got == "" || strings.Contains(got, "answers") {
		t.Fatalf("overview health of down: %q", got)
	}
	p = tc.get("/admin/caches")
	box := p.doc.Find(`[data-testid="status-down"]`)
	if got := box.Find(`[data-testid="health-status"]`).Text(); got != "down" {
		t.Errorf("the list's health %q\n%s", got, p.body)
	}
	if got := box.Find(`[data-testid="health-failure"]`).Text(); !strings.Contains(got, "127.0.0.1:1") {
		t.Errorf("the list's health message %q", got)
	}
	if c, _ := tc.mgr.Connection(ctx, "down"); c.Health.OK || c.Health.At.IsZero() {
		t.Errorf("health kept as %+v", c.Health)
	}
}

// TestConnectionFormShowsEveryError is issue 13's fourth and fifth defects
// on the connection forms: every field's message at once, beside its field,
// in a sentence that names the field by its label and says what to do,
// with the values typed kept.
func TestConnectionFormShowsEveryError(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()

	tc.get("/admin/caches/new?type=redis")
	form := url.Values{"type": {"redis"}, "name": {"9 lives"}, "port": {"99999"}, "pool_size": {"-3"},
		"timeout": {"90d12"}, "prefix": {"{app}:"}, "master": {"mymaster"}, "replica_timeout": {"2h"}, "min_replicas_acked": {"20"}}
	p := tc.post("/admin/caches", form)
	mustStatus(t, p, http.StatusUnprocessableEntity)
	want := map[string]string{
		"name":               "Name must start with a letter and hold only letters, digits, '_', '.' or '-', at most 64 characters.",
		"host":               "Host is required: enter the name or address of the Redis server, or give a URL instead.",
		"port":               "Port must be a whole number from 1 to 65535.",
		"pool_size":          "Pool size must be a whole number from 1 to 10000.",
		"timeout":            "Timeout must be a time with its unit, such as 500ms, 1.5s or 2s.",
		"prefix":             "Key prefix must not contain { or }: they would move the keys' Cluster hash tag.",
		"master":             "Master applies to Sentinel mode only: choose Sentinel as the mode, or clear Master.",
		"replica_timeout":    "Replica wait must be a time from 10ms to 1m, such as 500ms or 1s.",
		"min_replicas_acked": "Replicas to wait for must be a whole number from 0 (do not wait) to 16.",
	}
	for field, msg := range want {
		if got := p.testid("error-" + field); got != msg {
			t.Errorf("error-%s = %q, want %q", field, got, msg)
		}
		// Beside its field, which is marked.
		if !p.doc.Find(`[data-testid="error-` + field + `"]`).Parent().HasClass("invalid") {
			t.Errorf("%s is not marked invalid", field)
		}
	}
	if got := p.doc.Find(`.error`).Length(); got != len(want) {
		t.Errorf("%d messages, want %d", got, len(want))
	}
	if got := p.testid("error-summary"); !strings.Contains(got, "9 fields need a change") {
		t.Errorf("summary %q", got)
	}
	for field, v := range form {
		if field == "type" || field == "_csrf" {
			continue
		}
		id := "#f-" + field
		if got := p.doc.Find(id).AttrOr("value", ""); got != v[0] {
			t.Errorf("%s shown as %q, typed %q", field, got, v[0])
		}
	}
	if strings.Contains(p.body, "90d, 1d12h") || strings.Contains(p.body, `"-3" must`) {
		t.Error("a message still speaks of scope timeouts or quotes the value")
	}
	if tc.get("/admin/caches").testid("empty") == "" {
		t.Error("a refused form created a cache")
	}

	// A MySQL datasource: Host and Database are marked required, their
	// placeholders are examples, and an empty form says what each needs.
	p = tc.get("/admin/datasources/new?type=mysql")
	for _, field := range []string{"host", "database"} {
		label := p.doc.Find(`label[for="f-` + field + `"]`)
		if !strings.Contains(label.Text(), "required") {
			t.Errorf("the %s label %q does not say it is required", field, label.Text())
		}
		if ph := p.doc.Find("#f-"+field).AttrOr("placeholder", ""); !strings.HasPrefix(ph, "e.g. ") {
			t.Errorf("%s placeholder %q is no example", field, ph)
		}
	}
	if ph := p.doc.Find("#f-host").AttrOr("placeholder", ""); ph != "e.g. db1.internal" {
		t.Errorf("host placeholder %q", ph)
	}
	if strings.Contains(p.doc.Find(`label[for="f-port"]`).Text(), "required") {
		t.Error("Port is marked required")
	}
	p = tc.post("/admin/datasources", url.Values{"type": {"mysql"}, "name": {""}, "pool_size": {"0"}})
	mustStatus(t, p, http.StatusUnprocessableEntity)
	for field, prefix := range map[string]string{"name": "Name is required", "host": "Host is required",
		"database": "Database is required", "pool_size": "Pool size must be"} {
		if got := p.testid("error-" + field); !strings.HasPrefix(got, prefix) {
			t.Errorf("error-%s = %q, want %q…", field, got, prefix)
		}
	}

	// The Redis timeout hint gives a Redis timeout, not a scope's.
	p = tc.get("/admin/caches/new?type=redis")
	hint := p.doc.Find("#f-timeout").Parent().Find(".hint").Text()
	if !strings.Contains(hint, "2s") || strings.Contains(hint, "90d") {
		t.Errorf("timeout hint %q", hint)
	}
}
