package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// waitMove reads a move job's page until the job has ended, and returns it.
func (tc *testConsole) waitMove(t *testing.T, path string) page {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := tc.get(path)
		mustStatus(t, p, http.StatusOK)
		switch p.testid("move-state") {
		case "done", "stopped", "failed":
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the move did not end:\n%s", p.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitAudit returns the newest audit entry of action, waiting up to 10 s for
// one: a move's runner records storage.move.end just after it saves the
// end state that waitMove reads.
func (tc *testConsole) waitAudit(t *testing.T, action string) scopes.AuditEntry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if e, ok := tc.findAudit(t, action); ok {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("no audit entry %s after 10s", action)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// liveIn counts app's live scopes of kind k in storage.
func (tc *testConsole) liveIn(t *testing.T, app string, k scopes.Kind, storage string) int64 {
	t.Helper()
	set := scopes.Resolve(scopes.Layer{string(k) + "Storage": {Value: storage, By: scopes.FromAdmin}}, nil).Settings
	n, _, err := tc.engine.Count(context.Background(), set, app, k)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A change of an app's session storage offers to move its live sessions,
// ticked by default; confirmed, a job moves each as stored, and the
// administrator lands on its page, which reloads itself until it shows the
// counts; the start and the end are audited.
func TestStorageChangeMovesLiveScopes(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	tc.login()
	tc.createApp(t, "shop")
	tc.createScopes(t, "shop", scopes.Session, 30)
	tc.createScopes(t, "shop", scopes.Client, 2)
	before, _ := tc.dir.Effective(ctx, "shop")
	list, err := tc.engine.List(ctx, before.Settings, "shop", scopes.Session, scopes.ListQuery{Limit: 50})
	if err != nil || len(list.Scopes) != 30 {
		t.Fatalf("list = %d, %v", len(list.Scopes), err)
	}

	form := browserForm(t, tc.get("/admin/apps/shop"), `[data-testid="settings-form"]`)
	form.Set("sessionStorage", "file")
	p := tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("move-n"); got != "30 live scopes" {
		t.Errorf("move-n = %q", got)
	}
	if _, on := p.doc.Find(`[data-testid="move-live"]`).Attr("checked"); !on {
		t.Error("the move box is not ticked by default")
	}
	if got := p.testid("not-moved"); !strings.Contains(got, "Unless") {
		t.Errorf("not-moved = %q", got)
	}
	if got := p.testid("move-help"); !strings.Contains(got, "memory") {
		t.Errorf("the help does not say memory moves from this instance only: %q", got)
	}

	p = tc.confirmStorageChange(t, p)
	mustStatus(t, p, http.StatusSeeOther)
	if !strings.HasPrefix(p.location, "/admin/storage-moves/") {
		t.Fatalf("confirmed, the change leads to %q", p.location)
	}
	if eff, _ := tc.dir.Effective(ctx, "shop"); eff.Values["sessionStorage"] != "file" {
		t.Fatalf("the storage is %q", eff.Values["sessionStorage"])
	}
	start := tc.auditOf(t, "storage.move.start")
	if start.Target != "shop" || !strings.Contains(start.Detail, "sessions of shop from memory to file (30 counted)") || start.Actor != "admin:admin" {
		t.Errorf("start audit: %+v", start)
	}
	first := tc.get(p.location)
	mustStatus(t, first, http.StatusOK)

	done := tc.waitMove(t, p.location)
	if got := done.testid("move-state"); got != "done" {
		t.Fatalf("the move ended %q:\n%s", got, done.body)
	}
	if done.header.Get("Refresh") != "" {
		t.Error("a finished move's page still reloads itself")
	}
	if got, want := done.testid("move-moved"), "30"; got != want {
		t.Errorf("moved %q, want %s", got, want)
	}
	if done.testid("move-skipped") != "0" || done.testid("move-failed") != "0" || done.doc.Find(`[data-testid="move-bar"]`).AttrOr("value", "") != "100" {
		t.Errorf("skipped %q, failed %q, bar %q", done.testid("move-skipped"), done.testid("move-failed"), done.doc.Find(`[data-testid="move-bar"]`).AttrOr("value", ""))
	}
	if done.testid("move-done") == "" || done.doc.Find(`[data-testid="move-stop"]`).Length() != 0 || done.doc.Find(`[data-testid="move-resume"]`).Length() != 0 {
		t.Errorf("a finished move shows no summary, or Stop or Resume:\n%s", done.testid("move-job"))
	}
	if n := tc.liveIn(t, "shop", scopes.Session, "memory"); n != 0 {
		t.Errorf("%d sessions left in memory", n)
	}
	after, _ := tc.dir.Effective(ctx, "shop")
	for _, sc := range list.Scopes {
		got, err := tc.engine.Peek(ctx, after.Settings, scopes.Key{App: "shop", Kind: scopes.Session, CFID: sc.CFID})
		if err != nil || got.Version != sc.Version || !got.Expires.Equal(sc.Expires) || got.Storage != "file" {
			t.Fatalf("session %s after the move: %+v, %v", sc.CFID, got, err)
		}
	}
	if n := tc.liveIn(t, "shop", scopes.Client, "file"); n != 2 {
		t.Errorf("%d client scopes, want the 2 that did not move", n)
	}
	end := tc.waitAudit(t, "storage.move.end")
	if end.Target != "shop" || !strings.Contains(end.Detail, "30 moved, 0 skipped (already in the new storage), 0 failed") || !strings.Contains(end.Detail, "done") {
		t.Errorf("end audit: %+v", end)
	}
}

// Unticked, the change saves as before and moves nothing.
func TestStorageChangeWithoutMove(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	tc.createScopes(t, "shop", scopes.Session, 3)
	form := browserForm(t, tc.get("/admin/apps/shop"), `[data-testid="settings-form"]`)
	form.Set("sessionStorage", "file")
	p := tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusOK)
	form = browserForm(t, p, `[data-testid="storage-change-form"]`)
	form.Del("move")
	p = tc.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/apps/shop" {
		t.Errorf("unticked, the change leads to %q", p.location)
	}
	if n := tc.liveIn(t, "shop", scopes.Session, "memory"); n != 3 {
		t.Errorf("%d sessions left in memory, want 3", n)
	}
}

// Stopped, a job keeps its cursor and says so; Resume goes on from there to
// the end; a job this instance does not know is a 404 page.
func TestStorageMoveStopAndResume(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	// The job waits for the other instances' caches first: long enough
	// here to stop it before it moves anything.
	tc.dir.CacheTTL = 2 * time.Second
	tc.login()
	tc.createApp(t, "shop")
	tc.createScopes(t, "shop", scopes.Session, 12)
	_, form := tc.scopeForm(t)
	form.Set("sessionStorage", "file")
	p := tc.post("/admin/scope", form)
	mustStatus(t, p, http.StatusOK)
	p = tc.confirmStorageChange(t, p)
	mustStatus(t, p, http.StatusSeeOther)
	job := p.location
	running := tc.get(job)
	if got := running.testid("move-state"); got != "starting" {
		t.Fatalf("a new job is %q", got)
	}
	if running.header.Get("Refresh") == "" || running.doc.Find(`[data-testid="move-stop"]`).Length() != 1 {
		t.Fatalf("a running job's page does not reload itself or has no Stop:\n%s", running.body)
	}
	stop := browserForm(t, running, `[data-testid="move-stop-form"]`)
	mustStatus(t, tc.post(job+"/stop", stop), http.StatusSeeOther)
	stopped := tc.waitMove(t, job)
	if got := stopped.testid("move-state"); got != "stopped" || stopped.testid("move-stopped") == "" {
		t.Fatalf("stopped job is %q:\n%s", got, stopped.body)
	}
	if n := tc.liveIn(t, "shop", scopes.Session, "memory"); n != 12 {
		t.Errorf("%d sessions in memory after a stop before the start, want 12", n)
	}
	if e := tc.waitAudit(t, "storage.move.end"); !strings.Contains(e.Detail, "stopped by the operator") || e.Target != "the server defaults" {
		t.Errorf("end audit of a stopped job: %+v", e)
	}

	resume := browserForm(t, stopped, `[data-testid="move-resume-form"]`)
	mustStatus(t, tc.post(job+"/resume", resume), http.StatusSeeOther)
	done := tc.waitMove(t, job)
	if got := done.testid("move-state"); got != "done" || done.testid("move-moved") != "12" {
		t.Fatalf("resumed job is %q with %q moved:\n%s", got, done.testid("move-moved"), done.body)
	}
	if n := tc.liveIn(t, "shop", scopes.Session, "file"); n != 12 {
		t.Errorf("%d sessions in file, want 12", n)
	}
	if e := tc.auditOf(t, "storage.move.start"); !strings.Contains(e.Detail, "resuming") {
		t.Errorf("start audit of the resumed run: %+v", e)
	}
	// The resumed run's end is recorded just after the state waitMove read.
	var entries []scopes.AuditEntry
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if entries, _ = tc.config.Audit(ctx, 0, 1); len(entries) == 1 && entries[0].Action == "storage.move.end" {
			break
		}
	}
	if len(entries) != 1 || entries[0].Action != "storage.move.end" || !strings.Contains(entries[0].Detail, "12 moved") {
		t.Errorf("last audit: %+v", entries)
	}

	gone := tc.get("/admin/storage-moves/nope")
	mustStatus(t, gone, http.StatusNotFound)
	if !strings.Contains(gone.body, "There is no move") {
		t.Errorf("unknown job page:\n%s", gone.body)
	}
}
