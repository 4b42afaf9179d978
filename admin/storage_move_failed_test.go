package admin_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// failingDeletes makes the deletes from one storage fail, once armed, after
// the first few: a storage that goes down while a move runs.
type failingDeletes struct {
	scopes.Storages
	storage string
	after   int64
	armed   atomic.Bool
	deletes atomic.Int64
}

type deleteFails struct {
	scopes.Store
	f *failingDeletes
}

func (f *failingDeletes) Store(ctx context.Context, name string) (scopes.Store, error) {
	st, err := f.Storages.Store(ctx, name)
	if err != nil || name != f.storage {
		return st, err
	}
	return deleteFails{st, f}, nil
}

func (s deleteFails) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	if s.f.armed.Load() && s.f.deletes.Add(1) > s.f.after {
		return false, errors.New("connection reset by peer")
	}
	return s.Store.Delete(ctx, key)
}

// A move whose old storage fails halfway ends "failed": its page says how
// far it got and why it stopped, keeps the scopes it had not moved in the
// old storage and offers Resume, the list of moves shows it failed, and the
// end is audited; resumed once the storage answers, it moves the rest.
func TestStorageMoveRunFails(t *testing.T) {
	fail := &failingDeletes{storage: scopes.StorageMemory, after: 3}
	tc := newTestConsoleOn(t, false, func(s scopes.Storages) scopes.Storages { fail.Storages = s; return fail })
	tc.login()
	tc.createApp(t, "shop")
	tc.createScopes(t, "shop", scopes.Session, 10)
	fail.armed.Store(true)

	form := browserForm(t, tc.get("/admin/apps/shop"), `[data-testid="settings-form"]`)
	form.Set("sessionStorage", "file")
	p := tc.confirmStorageChange(t, tc.post("/admin/apps/shop/settings", form))
	mustStatus(t, p, http.StatusSeeOther)
	job := p.location
	failed := tc.waitMove(t, job)
	if got := failed.testid("move-state"); got != "failed" {
		t.Fatalf("the move ended %q:\n%s", got, failed.testid("move-job"))
	}
	if failed.header.Get("Refresh") != "" {
		t.Error("a failed move's page still reloads itself")
	}
	if got := failed.testid("move-moved"); got != "3" {
		t.Errorf("moved %q before the failure, want 3", got)
	}
	msg := strings.Join(strings.Fields(failed.testid("move-error")), " ")
	for _, want := range []string{"The job stopped after moving 3 scopes: Storage \"memory\" is unavailable; try again shortly.",
		"The others are still in the old storage. Resume goes on from where it stopped."} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure says %q, without %q", msg, want)
		}
	}
	if failed.doc.Find(`[data-testid="move-resume"]`).Length() != 1 || failed.doc.Find(`[data-testid="move-stop"]`).Length() != 0 {
		t.Errorf("a failed move offers Resume %d, Stop %d; want Resume alone",
			failed.doc.Find(`[data-testid="move-resume"]`).Length(), failed.doc.Find(`[data-testid="move-stop"]`).Length())
	}
	if got := failed.testid("move-part-shop-session"); !strings.Contains(got, "stopped") {
		t.Errorf("the part says %q", got)
	}
	// The fourth was written to file when its delete failed: in both.
	if n := tc.liveIn(t, "shop", scopes.Session, "memory"); n != 7 {
		t.Errorf("%d sessions left in memory, want 7", n)
	}
	id := strings.TrimPrefix(job, "/admin/storage-moves/")
	stored, _, err := tc.config.StorageMove(context.Background(), id)
	if err != nil || stored.State != scopes.MoveFailed || !strings.Contains(stored.LastError, "unavailable") || stored.Finished.IsZero() {
		t.Errorf("stored job: %+v, %v", stored, err)
	}
	list := tc.get("/admin/storage-moves")
	row := list.doc.Find(`[data-testid="moves-` + id + `"]`)
	if got := strings.TrimSpace(row.Find(`[data-testid="moves-state"]`).Text()); got != "failed" {
		t.Errorf("the list shows the job %q:\n%s", got, row.Text())
	}
	if cls := row.Find(`[data-testid="moves-state"]`).AttrOr("class", ""); !strings.Contains(cls, "bad") {
		t.Errorf("the failed state's badge is %q", cls)
	}
	if got := strings.TrimSpace(row.Find(`[data-testid="moves-moved"]`).Text()); got != "3 of 10" {
		t.Errorf("the list shows %q moved", got)
	}
	if e := tc.waitAudit(t, "storage.move.end"); !strings.Contains(e.Detail, "3 moved") || !strings.Contains(e.Detail, `then it stopped: storage "memory" is unavailable`) {
		t.Errorf("end audit: %+v", e)
	}

	// The storage answers again: Resume moves the rest.
	fail.armed.Store(false)
	mustStatus(t, tc.post(job+"/resume", browserForm(t, failed, `[data-testid="move-resume-form"]`)), http.StatusSeeOther)
	done := tc.waitMove(t, job)
	if got := done.testid("move-state"); got != "done" || done.testid("move-moved") != "10" {
		t.Fatalf("resumed: %q, %q moved:\n%s", got, done.testid("move-moved"), done.testid("move-job"))
	}
	if n := tc.liveIn(t, "shop", scopes.Session, "file"); n != 10 {
		t.Errorf("%d sessions in file, want 10", n)
	}
}

// racyMoves is the config store with its answers about moves changed on
// demand: hide answers no claim (as a read made just before another
// instance started a job), refuse fails the start of a job (as a config
// store that went down after the change was saved).
type racyMoves struct {
	scopes.AdminStore
	hide, refuse atomic.Bool
}

func (s *racyMoves) StorageMoveClaim(ctx context.Context, app string, kind scopes.Kind) (scopes.StorageMove, bool, error) {
	if s.hide.Load() {
		return scopes.StorageMove{}, false, nil
	}
	return s.AdminStore.StorageMoveClaim(ctx, app, kind)
}

func (s *racyMoves) AddStorageMove(ctx context.Context, m scopes.StorageMove, now time.Time) error {
	if s.refuse.Load() {
		return scopes.Unavailable("the config store", errors.New("database is locked"))
	}
	return s.AdminStore.AddStorageMove(ctx, m, now)
}

// racyConsole starts a console over racyMoves, with shop's n sessions in
// memory.
func racyConsole(t *testing.T, n int) (*testConsole, *racyMoves) {
	t.Helper()
	var racy *racyMoves
	tc := newTestConsoleOn(t, false, nil, func(o *admin.Options) { racy = &racyMoves{AdminStore: o.Admins}; o.Admins = racy })
	tc.login()
	tc.createApp(t, "shop")
	tc.createScopes(t, "shop", scopes.Session, n)
	return tc, racy
}

// A move that another job beat to the app's scopes after the confirmation
// checked (the config store refuses it when it starts): the change is
// saved, and the administrator lands on the job that moves them, whose
// page says why their own move did not start; the page without ?busy=1
// does not.
func TestStorageMoveBusyWhenItStarts(t *testing.T) {
	tc, racy := racyConsole(t, 3)
	ctx := context.Background()
	// The first job waits for the other instances' caches: it holds
	// shop's sessions meanwhile.
	tc.dir.CacheTTL = 20 * time.Second
	form := browserForm(t, tc.get("/admin/apps/shop"), `[data-testid="settings-form"]`)
	form.Set("sessionStorage", "file")
	p := tc.confirmStorageChange(t, tc.post("/admin/apps/shop/settings", form))
	mustStatus(t, p, http.StatusSeeOther)
	first := p.location
	// Sessions created since live in file, the new storage.
	tc.createScopes(t, "shop", scopes.Session, 2)

	racy.hide.Store(true)
	form = browserForm(t, tc.get("/admin/apps/shop"), `[data-testid="settings-form"]`)
	form.Set("sessionStorage", "memory")
	p = tc.post("/admin/apps/shop/settings", form)
	if got := p.testid("move-n"); got != "2 live scopes" {
		t.Fatalf("move-n = %q:\n%s", got, p.body)
	}
	p = tc.confirmStorageChange(t, p)
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != first+"?busy=1" {
		t.Fatalf("the change beaten to its move leads to %q, want %q", p.location, first+"?busy=1")
	}
	racy.hide.Store(false)
	if eff, _ := tc.dir.Effective(ctx, "shop"); eff.Values["sessionStorage"] != "memory" {
		t.Errorf("the change was not saved: %q", eff.Values["sessionStorage"])
	}
	if n := tc.liveIn(t, "shop", scopes.Session, "file"); n != 2 {
		t.Errorf("%d sessions in file, want the 2 that did not move", n)
	}
	busy := tc.get(p.location)
	mustStatus(t, busy, http.StatusOK)
	if got := strings.Join(strings.Fields(busy.testid("move-busy")), " "); !strings.Contains(got, "Your change was saved, but its live scopes were not moved: this job moves them already") {
		t.Errorf("move-busy = %q", got)
	}
	if busy.testid("move-state") != "starting" {
		t.Errorf("the job that holds them is %q", busy.testid("move-state"))
	}
	if plain := tc.get(first); plain.doc.Find(`[data-testid="move-busy"]`).Length() != 0 {
		t.Error("the job's own page says that another move did not start")
	}
	entries, err := tc.config.Audit(ctx, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	starts := 0
	for _, e := range entries {
		if e.Action == "storage.move.start" {
			starts++
		}
	}
	if starts != 1 {
		t.Errorf("%d moves started, want the first alone", starts)
	}
	// Stopped, the first job lets the goroutine that runs it end.
	mustStatus(t, tc.post(first+"/stop", browserForm(t, tc.get(first), `[data-testid="move-stop-form"]`)), http.StatusSeeOther)
	tc.waitMove(t, first)
}

// A confirmed change whose move the config store could not record is
// saved; the administrator lands on the list of moves, which says that the
// live scopes were not moved and stay in the old storage.
func TestStorageMoveNotRecorded(t *testing.T) {
	tc, racy := racyConsole(t, 4)
	ctx := context.Background()
	audited := tc.auditCount(t)
	racy.refuse.Store(true)
	form := browserForm(t, tc.get("/admin/apps/shop"), `[data-testid="settings-form"]`)
	form.Set("sessionStorage", "file")
	p := tc.confirmStorageChange(t, tc.post("/admin/apps/shop/settings", form))
	mustStatus(t, p, http.StatusSeeOther)
	if p.location != "/admin/storage-moves?failed=1" {
		t.Fatalf("the change leads to %q", p.location)
	}
	if eff, _ := tc.dir.Effective(ctx, "shop"); eff.Values["sessionStorage"] != "file" {
		t.Errorf("the change was not saved: %q", eff.Values["sessionStorage"])
	}
	list := tc.get(p.location)
	mustStatus(t, list, http.StatusOK)
	got := strings.Join(strings.Fields(list.testid("moves-failed")), " ")
	if !strings.Contains(got, "Your change was saved, but its live scopes were not moved: the config store did not record the job") ||
		!strings.Contains(got, "still in the old storage") {
		t.Errorf("moves-failed = %q", got)
	}
	if list.testid("moves-empty") == "" {
		t.Errorf("the list shows a job:\n%s", list.testid("moves"))
	}
	if plain := tc.get("/admin/storage-moves"); plain.doc.Find(`[data-testid="moves-failed"]`).Length() != 0 {
		t.Error("the list without ?failed=1 says a move failed")
	}
	if n := tc.liveIn(t, "shop", scopes.Session, "memory"); n != 4 {
		t.Errorf("%d sessions in memory, want the 4 not moved", n)
	}
	// The change is audited, no move's start.
	if e := tc.lastAudit(t); e.Action != "app.settings" || tc.auditCount(t) != audited+1 {
		t.Errorf("last audit %+v, %d entries after %d", e, tc.auditCount(t), audited)
	}
}
