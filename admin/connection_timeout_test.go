package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// A Redis cache takes a timeout under a second from the console, verified
// against the test server; zero, negative and too large ones are refused
// beside the field in words for an administrator, and nothing is created.
func TestRedisTimeoutUnderASecond(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()

	p := tc.get("/admin/caches/new?type=redis")
	if ph := p.doc.Find("#f-timeout").AttrOr("placeholder", ""); ph != "e.g. 500ms, 2s" {
		t.Errorf("timeout placeholder %q", ph)
	}
	for typed, want := range map[string]string{
		"0":    "Timeout must be longer than zero, such as 500ms or 2s: it is how long each read and write waits for Redis.",
		"-1s":  "Timeout must be longer than zero, such as 500ms or 2s: it is how long each read and write waits for Redis.",
		"5ms":  "Timeout must be at least 10ms: a shorter wait fails commands that Redis answers in time.",
		"2m":   "Timeout must be at most 1m: a longer wait holds every request that long when Redis does not answer.",
		"soon": "Timeout must be a time with its unit, such as 500ms, 1.5s or 2s.",
	} {
		form := redisCache(t, "fast")
		form.Set("timeout", typed)
		p = tc.post("/admin/caches", form)
		mustStatus(t, p, http.StatusUnprocessableEntity)
		if got := p.testid("error-timeout"); got != want {
			t.Errorf("timeout %q: %q, want %q", typed, got, want)
		}
		if got := p.doc.Find("#f-timeout").AttrOr("value", ""); got != typed {
			t.Errorf("timeout %q shown again as %q", typed, got)
		}
	}
	if _, err := tc.mgr.Connection(context.Background(), "fast"); err == nil {
		t.Fatal("a refused timeout created the cache")
	}

	form := redisCache(t, "fast")
	form.Set("timeout", "500 ms")
	p = tc.post("/admin/caches", form)
	mustStatus(t, p, http.StatusSeeOther)
	p = tc.get(p.location)
	if flash := p.testid("flash"); !strings.Contains(flash, "Verify passed every check") {
		t.Errorf("flash after create: %q", flash)
	}
	conn, err := tc.mgr.Connection(context.Background(), "fast")
	if err != nil || conn.Params["timeout"] != "500ms" {
		t.Fatalf("stored %+v, %v", conn.Params, err)
	}
	if got := p.doc.Find("#f-timeout").AttrOr("value", ""); got != "500ms" {
		t.Errorf("the edit form shows timeout %q", got)
	}

	// Edited to 1.5s, it is kept as typed.
	edit := browserForm(t, p, `form[data-testid="connection-form"]`)
	edit.Set("timeout", "1.5s")
	edit.Del("verify")
	mustStatus(t, tc.post("/admin/caches/fast", edit), http.StatusSeeOther)
	if conn, _ := tc.mgr.Connection(context.Background(), "fast"); conn.Params["timeout"] != "1.5s" {
		t.Errorf("after the edit: %+v", conn.Params)
	}
}
