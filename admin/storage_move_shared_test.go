package admin_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// moveClock is a console's clock, which a test moves forward.
type moveClock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *moveClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func (c *moveClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skew += d
}

// twin starts another instance of the console over tc's config store,
// directory and storages, named instance, with its own clock: another
// instance of scopestore, or this one after a restart.
func (tc *testConsole) twin(t *testing.T, instance string, clock *moveClock) *testConsole {
	t.Helper()
	e := admin.New(admin.Options{Directory: tc.dir, Connections: tc.mgr, Admins: tc.config, Engine: tc.engine, Version: "test",
		ConfigStore: "sqlite", InitialPassword: testPassword, Instance: instance, Now: clock.now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &testConsole{t: t, srv: srv, client: client, config: tc.config, dir: tc.dir, mgr: tc.mgr, engine: tc.engine, e: e}
}

// startSlowMove starts, on instance a, a move of shop's n sessions from
// memory to file that waits (the Directory's cache time) long enough for
// the test to act before it moves anything, and returns a, a second
// instance b with clock, and the job's page.
func startSlowMove(t *testing.T, n int, clock *moveClock) (a, b *testConsole, job string) {
	t.Helper()
	a = newTestConsoleOn(t, false, nil, func(o *admin.Options) { o.Instance = "a:8080" })
	a.dir.CacheTTL = 20 * time.Second
	a.login()
	a.createApp(t, "shop")
	a.createScopes(t, "shop", scopes.Session, n)
	b = a.twin(t, "b:8080", clock)
	b.login()
	form := browserForm(t, a.get("/admin/apps/shop"), `[data-testid="settings-form"]`)
	form.Set("sessionStorage", "file")
	p := a.confirmStorageChange(t, a.post("/admin/apps/shop/settings", form))
	mustStatus(t, p, http.StatusSeeOther)
	if !strings.HasPrefix(p.location, "/admin/storage-moves/") {
		t.Fatalf("the change leads to %q", p.location)
	}
	return a, b, p.location
}

// A job lives in the config store: another instance shows it with its
// runner and stops it (the runner sees the request at its next write); a
// restarted instance finds it in the list of moves and resumes it from
// its cursor, to the end.
func TestStorageMoveStopOnAnotherInstanceAndResumeAfterRestart(t *testing.T) {
	a, b, job := startSlowMove(t, 12, &moveClock{})
	p := b.get(job)
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("move-state"); got != "starting" {
		t.Fatalf("another instance shows the job %q:\n%s", got, p.body)
	}
	if got := p.testid("move-runner"); !strings.HasPrefix(got, "a:8080, last heard from") {
		t.Errorf("runner %q", got)
	}
	if p.doc.Find(`[data-testid="move-resume"]`).Length() != 0 {
		t.Error("a running job offers Resume")
	}
	mustStatus(t, b.post(job+"/stop", browserForm(t, p, `[data-testid="move-stop-form"]`)), http.StatusSeeOther)
	if got := b.get(job).testid("move-state"); got != "stopping" && got != "stopped" {
		t.Errorf("after Stop on b: %q", got)
	}
	stopped := b.waitMove(t, job)
	if got := stopped.testid("move-state"); got != "stopped" {
		t.Fatalf("the job ended %q", got)
	}
	if e := a.waitAudit(t, "storage.move.end"); !strings.Contains(e.Detail, "stopped by the operator") {
		t.Errorf("end audit: %+v", e)
	}

	// A restart: a new console over the same config store, which has
	// never run the job.
	c := a.twin(t, "a:8080", &moveClock{})
	c.login()
	list := c.get("/admin/storage-moves")
	mustStatus(t, list, http.StatusOK)
	id := strings.TrimPrefix(job, "/admin/storage-moves/")
	if got := list.testid("moves-" + id); !strings.Contains(got, "stopped") || !strings.Contains(got, "shop") {
		t.Fatalf("the list of moves after a restart: %q\n%s", got, list.body)
	}
	p = c.get(job)
	mustStatus(t, c.post(job+"/resume", browserForm(t, p, `[data-testid="move-resume-form"]`)), http.StatusSeeOther)
	done := c.waitMove(t, job)
	if got := done.testid("move-state"); got != "done" || done.testid("move-moved") != "12" {
		t.Fatalf("resumed after a restart: %q, %q moved:\n%s", got, done.testid("move-moved"), done.body)
	}
	if n := a.liveIn(t, "shop", scopes.Session, "file"); n != 12 {
		t.Errorf("%d sessions in file, want 12", n)
	}
	if got := b.get(job).testid("move-state"); got != "done" {
		t.Errorf("b shows the resumed job %q", got)
	}
}

// A runner that stops writing for a minute is taken for gone: another
// instance says so and offers Resume, which runs the job there from the
// stored cursor; the old runner, were it still alive, stops at its next
// write. No sleep: b's clock moves.
func TestStorageMoveOrphanIsResumedElsewhere(t *testing.T) {
	clock := &moveClock{}
	a, b, job := startSlowMove(t, 7, clock)
	p := b.get(job)
	if p.doc.Find(`[data-testid="move-resume"]`).Length() != 0 || p.doc.Find(`[data-testid="move-stop"]`).Length() != 1 {
		t.Fatalf("a live job on another instance:\n%s", p.testid("move-job"))
	}
	clock.add(scopes.MoveOrphanAfter + 30*time.Second)
	p = b.get(job)
	if got := p.testid("move-state"); got != "orphaned" || !strings.Contains(p.testid("move-orphaned"), "a:8080") {
		t.Fatalf("a silent runner: %q\n%s", got, p.testid("move-job"))
	}
	mustStatus(t, b.post(job+"/resume", browserForm(t, p, `[data-testid="move-resume-form"]`)), http.StatusSeeOther)
	done := b.waitMove(t, job)
	if got := done.testid("move-state"); got != "done" || done.testid("move-moved") != "7" {
		t.Fatalf("the orphan resumed on b: %q, %q moved", got, done.testid("move-moved"))
	}
	stored, _, err := a.config.StorageMove(context.Background(), strings.TrimPrefix(job, "/admin/storage-moves/"))
	if err != nil || stored.Runner != "b:8080" || stored.State != scopes.MoveDone {
		t.Fatalf("stored job %+v, %v", stored, err)
	}
	if e := a.auditOf(t, "storage.move.start"); !strings.Contains(e.Detail, "resuming") || !strings.Contains(e.Detail, "b:8080") {
		t.Errorf("start audit of the resumed run: %+v", e)
	}
}

// While a job moves an app's sessions, another change of that app's
// session storage that asks to move them is refused, on any instance,
// with a link to the job; nothing is saved.
func TestStorageMoveSecondStartRefused(t *testing.T) {
	a, b, job := startSlowMove(t, 3, &moveClock{})
	// Jobs of other apps that started later and ended leave the running
	// one out of the newest that the list of moves shows: the check must
	// find it all the same.
	endedMoves(t, a.config, 30)
	newest, err := a.config.StorageMoves(context.Background(), 25)
	if err != nil || slices.ContainsFunc(newest, func(m scopes.StorageMove) bool { return "/admin/storage-moves/"+m.ID == job }) {
		t.Fatalf("the running job is still among the 25 newest (%v)", err)
	}
	// Sessions created since live in file, the new storage.
	a.createScopes(t, "shop", scopes.Session, 2)
	form := browserForm(t, b.get("/admin/apps/shop"), `[data-testid="settings-form"]`)
	form.Set("sessionStorage", "memory")
	p := b.post("/admin/apps/shop/settings", form)
	mustStatus(t, p, http.StatusOK)
	confirm := browserForm(t, p, `[data-testid="storage-change-form"]`)
	confirm.Set("confirm", "yes")
	confirm.Set("move", "yes")
	p = b.post("/admin/apps/shop/settings", confirm)
	mustStatus(t, p, http.StatusConflict)
	if got := p.testid("storage-change-error"); !strings.Contains(got, "being moved already") {
		t.Errorf("refusal %q", got)
	}
	if href, _ := p.doc.Find(`[data-testid="storage-change-busy"]`).Attr("href"); href != job {
		t.Errorf("the refusal links to %q, want %q", href, job)
	}
	if eff, _ := a.dir.Effective(context.Background(), "shop"); eff.Values["sessionStorage"] != "file" {
		t.Errorf("the refused change was saved: %q", eff.Values["sessionStorage"])
	}
	// Stopped, the job no longer holds them.
	mustStatus(t, a.post(job+"/stop", browserForm(t, a.get(job), `[data-testid="move-stop-form"]`)), http.StatusSeeOther)
	a.waitMove(t, job)
	p = b.post("/admin/apps/shop/settings", confirm)
	mustStatus(t, p, http.StatusSeeOther)
	if p.location == job || !strings.HasPrefix(p.location, "/admin/storage-moves/") {
		t.Errorf("after the stop, the change leads to %q", p.location)
	}
}

// endedMoves stores n jobs of other apps that started after every job so
// far and ended.
func endedMoves(t *testing.T, store scopes.StorageMoveStore, n int) {
	t.Helper()
	ctx := context.Background()
	at := time.Now().Add(time.Minute)
	for i := range n {
		id := fmt.Sprintf("ended-%02d", i)
		m := scopes.StorageMove{ID: id, Title: "an old change", Back: "/admin/scope", State: scopes.MoveStarting,
			StartedBy: "admin:alice", Runner: "z:8080", RunID: id + "-run", Created: at.Add(time.Duration(i) * time.Second),
			Parts: []scopes.StorageMovePart{{Move: scopes.Move{App: fmt.Sprintf("app%02d", i), Kind: scopes.Session, From: "memory", To: "file"}}}}
		if err := store.AddStorageMove(ctx, m, m.Created); err != nil {
			t.Fatal(err)
		}
		m.State, m.Finished = scopes.MoveDone, m.Created
		if _, err := store.SaveStorageMove(ctx, m, m.Created); err != nil {
			t.Fatal(err)
		}
	}
}
