package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// An administrator breaks a lock from the app's page: a Break button per
// lock, a confirmation page that names the holder and says it is not told
// and keeps its fence until the next holder's, a form that needs the CSRF
// token and a ticked box; then the lock is free, the holder's release is
// refused, the next holder's fence is higher, and lock.break is audited.
func TestLockBreak(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	if _, err := tc.dir.CreateApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	locks := scopes.NewLocks(tc.engine, tc.dir)
	const name = "cart:42 ?&%"
	held, err := locks.Acquire(ctx, "shop", scopes.LockOptions{Name: name, Type: scopes.LockExclusive, Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := locks.Acquire(ctx, "shop", scopes.LockOptions{Name: "report", Type: scopes.LockReadonly, Lease: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	tc.login()
	p := tc.get("/admin/apps/shop")
	mustStatus(t, p, http.StatusOK)
	links := p.doc.Find(`[data-testid="lock-break"]`)
	if links.Length() != 2 {
		t.Fatalf("%d Break buttons for two locks (one with two holders)\n%s", links.Length(), p.testid("locks"))
	}
	href := links.First().AttrOr("href", "")
	if u, err := url.Parse(href); err != nil || u.Query().Get("lock") != name {
		t.Fatalf("Break links to %q", href)
	}

	p = tc.get(href)
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("lock-break-held"); !strings.Contains(got, "exclusive") || !strings.Contains(got, "memory") {
		t.Fatalf("lock-break-held = %q", got)
	}
	if got := p.testid("lock-break-holders"); !strings.Contains(got, "UTC") || !strings.Contains(got, "ago") {
		t.Fatalf("holders = %q", got)
	}
	if got := p.testid("lock-break-warning"); !strings.Contains(got, "not told") || !strings.Contains(got, "higher fence") {
		t.Fatalf("warning = %q", got)
	}
	if p.testid("lock-break-memory") == "" || strings.Contains(p.body, held.Token) {
		t.Fatal("no word that memory locks are this instance's, or the token shown")
	}
	audits := tc.auditCount(t)

	// Without the CSRF token: refused, nothing broken.
	p = tc.postRaw("/admin/apps/shop/locks/break", url.Values{"lock": {name}, "confirm": {"yes"}})
	mustStatus(t, p, http.StatusForbidden)
	// Without the box: the page again, with the message.
	tc.get(href)
	p = tc.post("/admin/apps/shop/locks/break", url.Values{"lock": {name}})
	mustStatus(t, p, http.StatusUnprocessableEntity)
	if p.testid("lock-break-page") == "" || !strings.Contains(p.body, "Tick the box") {
		t.Fatalf("no box ticked:\n%s", p.body)
	}
	if _, err := locks.Renew(ctx, "shop", name, held.Token, time.Minute); err != nil {
		t.Fatalf("the lock was broken before the confirmation: %v", err)
	}
	if n := tc.auditCount(t); n != audits {
		t.Fatalf("%d audit entries after refused forms, %d before", n, audits)
	}

	p = tc.post("/admin/apps/shop/locks/break", url.Values{"lock": {name}, "confirm": {"yes"}})
	if p.status != http.StatusSeeOther || p.location != "/admin/apps/shop#locks" {
		t.Fatalf("break: %d → %q\n%s", p.status, p.location, p.body)
	}
	p = tc.follow(p)
	if got := p.testid("flash"); !strings.Contains(got, "is broken") || !strings.Contains(got, "exclusive") {
		t.Fatalf("flash = %q", got)
	}
	if err := locks.Release(ctx, "shop", name, held.Token); scopes.ErrorCode(err) != scopes.EConflict {
		t.Fatalf("the broken holder's release: %v, want conflict", err)
	}
	next, err := locks.Acquire(ctx, "shop", scopes.LockOptions{Name: name, Type: scopes.LockExclusive, Lease: time.Minute})
	if err != nil || next.Fence <= held.Fence {
		t.Fatalf("next holder: fence %d after %d, %v", next.Fence, held.Fence, err)
	}
	e := tc.lastAudit(t)
	if e.Action != "lock.break" || e.Target != "shop lock "+name || e.Actor != "admin:admin" ||
		!strings.Contains(e.Detail, "exclusive") || !strings.Contains(e.Detail, "fence was kept") {
		t.Fatalf("audit entry %+v", e)
	}

	// Readonly holders are broken all at once.
	p = tc.get("/admin/apps/shop/locks/break?lock=report")
	if got := p.testid("lock-break-held"); !strings.Contains(got, "readonly by 2 holders") {
		t.Fatalf("lock-break-held = %q", got)
	}
	p = tc.follow(tc.post("/admin/apps/shop/locks/break", url.Values{"lock": {"report"}, "confirm": {"yes"}}))
	if got := p.testid("flash"); !strings.Contains(got, "2 readonly holders") {
		t.Fatalf("flash = %q", got)
	}
	if e := tc.lastAudit(t); e.Target != "shop lock report" || !strings.Contains(e.Detail, "2 readonly holders") {
		t.Fatalf("audit entry %+v", e)
	}

	// A lock nobody holds: back to the app's page, nothing recorded.
	audits = tc.auditCount(t)
	p = tc.get("/admin/apps/shop/locks/break?lock=report")
	if p.status != http.StatusSeeOther || !strings.Contains(tc.follow(p).testid("flash"), "not held now") {
		t.Fatalf("break page of a free lock: %d %s", p.status, p.body)
	}
	p = tc.follow(tc.post("/admin/apps/shop/locks/break", url.Values{"lock": {"report"}, "confirm": {"yes"}}))
	if got := p.testid("flash"); !strings.Contains(got, "not held any more") {
		t.Fatalf("flash = %q", got)
	}
	if n := tc.auditCount(t); n != audits {
		t.Fatalf("%d audit entries after breaking a free lock, %d before", n, audits)
	}
	// A bad name is refused.
	if p := tc.get("/admin/apps/shop/locks/break?lock="); p.status != http.StatusBadRequest {
		t.Fatalf("no lock name: %d", p.status)
	}
}
