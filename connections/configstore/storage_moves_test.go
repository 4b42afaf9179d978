package configstore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// newMove is a job of two parts, run by instance a.
func newMove(id string, at time.Time) scopes.StorageMove {
	return scopes.StorageMove{ID: id, Title: "the server defaults", Back: "/admin/scope", State: scopes.MoveStarting,
		StartedBy: "admin:alice", Runner: "a:8080", RunID: id + "-run1", Created: at,
		Parts: []scopes.StorageMovePart{
			{Move: scopes.Move{App: "shop", Kind: scopes.Session, From: "memory", To: "file"}, Counted: 30},
			{Move: scopes.Move{App: "blog", Kind: scopes.Client, From: "file", To: "redis1"}, Counted: 2},
		}}
}

// moveStoreTests run in TestStore beside storeTests, on every dialect.
var moveStoreTests = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"storage moves keep their parts, cursors and counts, and are listed newest first", func(t *testing.T, e *env) {
		ctx := context.Background()
		m := newMove("job1", now)
		must(t, "AddStorageMove", e.s.AddStorageMove(ctx, m, now))
		got, found, err := e.s.StorageMove(ctx, "job1")
		must(t, "StorageMove", err)
		if !found || got.State != scopes.MoveStarting || got.Runner != "a:8080" || got.StartedBy != "admin:alice" ||
			len(got.Parts) != 2 || got.Parts[1].To != "redis1" || got.Parts[1].Kind != scopes.Client || got.Parts[0].Counted != 30 ||
			!got.Created.Equal(dbTime(now)) || !got.Updated.Equal(dbTime(now)) || !got.Finished.IsZero() {
			t.Fatalf("read back %+v, %v", got, found)
		}
		if _, found, err := e.s.StorageMove(ctx, "nope"); err != nil || found {
			t.Fatalf("an unknown job: %v, %v", found, err)
		}

		m.State = scopes.MoveRunning
		m.Parts[0].Done = scopes.MoveRun{Scanned: 12, Moved: 10, Skipped: 1, Failed: 1, LastFailure: "too large", Next: "cfid-12"}
		stop, err := e.s.SaveStorageMove(ctx, m, now.Add(3*time.Second))
		must(t, "SaveStorageMove", err)
		if stop {
			t.Fatal("a stop nobody asked for")
		}
		got, _, _ = e.s.StorageMove(ctx, "job1")
		if d := got.Parts[0].Done; d != m.Parts[0].Done || got.State != scopes.MoveRunning || !got.Updated.Equal(dbTime(now.Add(3*time.Second))) {
			t.Fatalf("after a save: %+v", got)
		}
		if tot := got.Totals(); tot.Moved != 10 || tot.Failed != 1 {
			t.Fatalf("totals %+v", tot)
		}

		// Another job of other apps starts beside it, later.
		other := newMove("job2", now.Add(time.Minute))
		other.Parts = other.Parts[:1]
		other.Parts[0].App = "wiki"
		must(t, "AddStorageMove", e.s.AddStorageMove(ctx, other, now.Add(time.Minute)))
		list, err := e.s.StorageMoves(ctx, 10)
		must(t, "StorageMoves", err)
		if len(list) != 2 || list[0].ID != "job2" || list[1].ID != "job1" {
			t.Fatalf("StorageMoves = %+v", list)
		}
		if list, _ := e.s.StorageMoves(ctx, 1); len(list) != 1 {
			t.Fatalf("limit 1: %d jobs", len(list))
		}

		// A job that ended longer ago than the retention goes when another starts.
		m.State, m.Finished = scopes.MoveDone, now.Add(time.Minute)
		if _, err := e.s.SaveStorageMove(ctx, m, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		later := now.Add(StorageMoveRetention + 2*time.Minute)
		third := newMove("job3", later)
		third.Parts = third.Parts[:1]
		third.Parts[0].App = "docs"
		must(t, "AddStorageMove", e.s.AddStorageMove(ctx, third, later))
		if _, found, err := e.s.StorageMove(ctx, "job1"); err != nil || found {
			t.Fatalf("the job that ended %s ago is still there: %v, %v", StorageMoveRetention, found, err)
		}
		if _, found, err := e.s.StorageMove(ctx, "job2"); err != nil || !found {
			t.Fatalf("a job that did not end was deleted: %v, %v", found, err)
		}
	}},

	{"one job per app and kind while its runner is alive", func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, "AddStorageMove", e.s.AddStorageMove(ctx, newMove("job1", now), now))
		second := newMove("job2", now)
		second.Parts = second.Parts[1:] // blog's client scopes, which job1 moves
		var busy *scopes.MoveBusyError
		err := e.s.AddStorageMove(ctx, second, now.Add(10*time.Second))
		if !errors.As(err, &busy) || busy.Job != "job1" || busy.App != "blog" || scopes.ErrorCode(err) != scopes.EConflict {
			t.Fatalf("a second job of the same app and kind: %v", err)
		}
		if _, found, _ := e.s.StorageMove(ctx, "job2"); found {
			t.Fatal("the refused job was stored")
		}
		// Another kind of the same app is free.
		third := newMove("job3", now)
		third.Parts = third.Parts[1:]
		third.Parts[0].Kind = scopes.Session
		must(t, "AddStorageMove of another kind", e.s.AddStorageMove(ctx, third, now))

		// The claims name their jobs, for the console's check before a change.
		for _, c := range []struct {
			app  string
			kind scopes.Kind
			job  string
		}{{"shop", scopes.Session, "job1"}, {"blog", scopes.Client, "job1"}, {"blog", scopes.Session, "job3"}, {"shop", scopes.Client, ""}} {
			m, found, err := e.s.StorageMoveClaim(ctx, c.app, c.kind)
			must(t, "StorageMoveClaim", err)
			if found != (c.job != "") || m.ID != c.job || (found && (!m.Active() || len(m.Parts) == 0)) {
				t.Fatalf("the claim on %s's %s scopes: %+v, %v; want job %q", c.app, c.kind, m, found, c.job)
			}
		}

		// A runner silent for more than MoveOrphanAfter holds nothing.
		later := now.Add(scopes.MoveOrphanAfter + time.Second)
		if m, found, _ := e.s.StorageMoveClaim(ctx, "blog", scopes.Client); !found || !m.Orphaned(later) {
			t.Fatalf("the claim of a silent runner: %+v, %v; want job1, orphaned", m, found)
		}
		must(t, "AddStorageMove past an orphan", e.s.AddStorageMove(ctx, second, later))
		if m, _, _ := e.s.StorageMoveClaim(ctx, "blog", scopes.Client); m.ID != "job2" {
			t.Fatalf("the claim taken over from an orphan is %q's, want job2's", m.ID)
		}
		// ... and the orphan cannot resume while the new job runs.
		if _, _, err := e.s.ResumeStorageMove(ctx, "job1", "b:8080", "run-b", later); !errors.As(err, &busy) || busy.Job != "job2" {
			t.Fatalf("resume of an orphan whose scopes another job moves: %v", err)
		}
	}},

	{"two instances starting the same move at once: one is refused", func(t *testing.T, e *env) {
		ctx := context.Background()
		other := e.open(t, testKey)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []*Store{e.s, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.AddStorageMove(ctx, newMove([]string{"jobA", "jobB"}[i], now), now)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			var busy *scopes.MoveBusyError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &busy), scopes.ErrorCode(err) == scopes.EConflict, scopes.ErrorCode(err) == scopes.EUnavailable:
				// EUnavailable: MySQL may pick one as a deadlock victim.
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d starts succeeded (%v)", ok, errs)
		}
	}},

	{"stop requested from anywhere, an orphan stopped at once, resume takes over the run", func(t *testing.T, e *env) {
		ctx := context.Background()
		m := newMove("job1", now)
		must(t, "AddStorageMove", e.s.AddStorageMove(ctx, m, now))
		got, found, err := e.s.StopStorageMove(ctx, "job1", now.Add(time.Second))
		must(t, "StopStorageMove", err)
		if !found || !got.StopRequested || got.State != scopes.MoveStarting {
			t.Fatalf("stop of a live job: %+v", got)
		}
		m.State = scopes.MoveRunning
		stop, err := e.s.SaveStorageMove(ctx, m, now.Add(2*time.Second))
		must(t, "SaveStorageMove", err)
		if !stop {
			t.Fatal("the runner does not see the stop")
		}
		m.State, m.Finished = scopes.MoveStopped, now.Add(2*time.Second)
		_, err = e.s.SaveStorageMove(ctx, m, now.Add(2*time.Second))
		must(t, "SaveStorageMove", err)
		if _, _, err := e.s.StopStorageMove(ctx, "job1", now.Add(3*time.Second)); scopes.ErrorCode(err) != scopes.EConflict {
			t.Fatalf("stop of a stopped job: %v", err)
		}
		// Its claims are released: another job may start.
		n := newMove("job2", now)
		n.Parts = n.Parts[:1]
		must(t, "AddStorageMove after a stop", e.s.AddStorageMove(ctx, n, now.Add(3*time.Second)))
		// job1 resumes only once job2 ends.
		var busy *scopes.MoveBusyError
		if _, _, err := e.s.ResumeStorageMove(ctx, "job1", "b:8080", "run-b", now.Add(4*time.Second)); !errors.As(err, &busy) {
			t.Fatalf("resume while job2 runs: %v", err)
		}
		n.State, n.Finished = scopes.MoveDone, now.Add(5*time.Second)
		n.Parts[0].Done.Complete = true
		_, err = e.s.SaveStorageMove(ctx, n, now.Add(5*time.Second))
		must(t, "SaveStorageMove done", err)
		res, _, err := e.s.ResumeStorageMove(ctx, "job1", "b:8080", "run-b", now.Add(6*time.Second))
		must(t, "ResumeStorageMove", err)
		if res.State != scopes.MoveRunning || res.Runner != "b:8080" || res.RunID != "run-b" || res.StopRequested || !res.Finished.IsZero() {
			t.Fatalf("resumed %+v", res)
		}
		// The old run's next write finds the job taken over.
		if _, err := e.s.SaveStorageMove(ctx, m, now.Add(7*time.Second)); scopes.ErrorCode(err) != scopes.EConflict {
			t.Fatalf("a write of the old run: %v", err)
		}
		if _, _, err := e.s.ResumeStorageMove(ctx, "job1", "c:8080", "run-c", now.Add(8*time.Second)); scopes.ErrorCode(err) != scopes.EConflict {
			t.Fatalf("resume of a running job: %v", err)
		}

		// Silent past MoveOrphanAfter: Stop marks it stopped itself.
		dead := now.Add(6*time.Second + scopes.MoveOrphanAfter + time.Second)
		got, _, err = e.s.StopStorageMove(ctx, "job1", dead)
		must(t, "StopStorageMove of an orphan", err)
		if got.State != scopes.MoveStopped {
			t.Fatalf("stopped orphan %+v", got)
		}
		got, _, _ = e.s.StorageMove(ctx, "job1")
		if got.State != scopes.MoveStopped || got.Finished.IsZero() {
			t.Fatalf("orphan after stop: %+v", got)
		}
		// Its runner was only slow: its next save finds the run ended, and
		// the job stays stopped, its claims gone.
		if _, err := e.s.SaveStorageMove(ctx, res, dead.Add(time.Second)); scopes.ErrorCode(err) != scopes.EConflict {
			t.Fatalf("a late save of the stopped orphan's run: %v, want conflict", err)
		}
		if got, _, _ = e.s.StorageMove(ctx, "job1"); got.State != scopes.MoveStopped {
			t.Fatalf("the late save revived the job: %+v", got)
		}
	}},
}
