package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// storageMovesPath is the list of the jobs that move live scopes after a
// change of storage; each job's progress page is under it.
const storageMovesPath = Prefix + "/storage-moves"

// moveJobPath is the progress page of a move job.
func moveJobPath(id string) string { return storageMovesPath + "/" + id }

// Echo context keys of a storage change that is to move live scopes.
const (
	// storageMovesKey holds the console's storageMoves, for confirmStorage.
	storageMovesKey = "admin_storage_moves"
	// movePlanKey holds the moves that a confirmed change asked for, which
	// start once the change is saved.
	movePlanKey = "admin_move_plan"
)

// moveSaveEvery bounds the runner's writes to the config store: progress
// is written at most this often, and at every change of state. It is the
// runner's heartbeat too, far below scopes.MoveOrphanAfter.
const moveSaveEvery = 2 * time.Second

// storageMoves runs the jobs that move live scopes from the old storage to
// the new one after a confirmed change of storage. The jobs live in the
// config store (scopes.StorageMoveStore), so that every instance shows
// them, a Stop on any instance reaches their runner, and any instance
// resumes one that stopped or whose runner is gone; this instance keeps
// only the runs it runs now.
type storageMoves struct {
	*Console
	// runner names this instance in the jobs it runs.
	runner string
	now    func() time.Time
	mu     sync.Mutex
	// runs are the jobs this instance runs now, by ID.
	runs map[string]*moveRun
}

func newStorageMoves(a *Console) *storageMoves {
	s := &storageMoves{Console: a, runner: a.Instance, now: a.Now, runs: map[string]*moveRun{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.runner == "" {
		host, _ := os.Hostname()
		s.runner = strings.TrimSpace(host) + " pid " + strconv.Itoa(os.Getpid())
		for utf8.RuneCountInString(s.runner) > 64 {
			_, size := utf8.DecodeRuneInString(s.runner)
			s.runner = s.runner[size:]
		}
		s.runner = strings.TrimSpace(s.runner)
	}
	return s
}

// movePlan is what a confirmed storage change asked to move: one part per
// app and scope kind whose live scopes the old storage holds.
type movePlan struct {
	// Title names what changed ("the server defaults" or the app), Back
	// where the job's page leads back to.
	Title, Back string
	Parts       []scopes.StorageMovePart
}

// moveRun is a job that this instance runs now: the job as its runner
// knows it, ahead of what the config store holds by at most moveSaveEvery.
type moveRun struct {
	mu  sync.Mutex
	job scopes.StorageMove
	// part is the index of the part that runs now, -1 between parts; cur
	// is what its run did so far, not yet added to its Done.
	part int
	cur  scopes.MoveRun
	// stop is set by a Stop on this instance, or read from the config
	// store; lost when another instance took the job over.
	stop, lost bool
	saved      time.Time
}

// snapshot is the job with the running part's counts added, as a page and
// the config store see it.
func (r *moveRun) snapshot() scopes.StorageMove {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.job
	j.Parts = append([]scopes.StorageMovePart(nil), r.job.Parts...)
	if r.part >= 0 {
		j.Parts[r.part].Done = j.Parts[r.part].Done.Add(r.cur)
	}
	return j
}

func (r *moveRun) stopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stop || r.lost
}

// offerMoves is the middleware of the routes that save a storage change:
// it hands confirmStorage the jobs, and once the change is saved (the
// handler answers 303) starts the move that the confirmation asked for
// and sends the administrator to its progress page rather than where the
// handler redirected. It hooks the response's header (echo's Before), the
// one moment that knows both that the save succeeded and where to go.
func (s *storageMoves) offerMoves(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(storageMovesKey, s)
		res := c.Response()
		res.Before(func() {
			plan, ok := c.Get(movePlanKey).(*movePlan)
			if !ok || res.Status != http.StatusSeeOther {
				return
			}
			res.Header().Set(echo.HeaderLocation, s.start(c.Request().Context(), plan))
		})
		return next(c)
	}
}

// start records a job of plan in the config store, runs it in the
// background, and returns where to see it: its page, or, when another job
// moves the same scopes (started since the confirmation), that job's page
// saying so, or the list of moves when the config store failed.
func (s *storageMoves) start(ctx context.Context, plan *movePlan) string {
	now := s.now()
	job := scopes.StorageMove{ID: newRunID(), Title: plan.Title, Back: plan.Back, Parts: plan.Parts, State: scopes.MoveStarting,
		StartedBy: scopes.ActorFrom(ctx), Runner: s.runner, RunID: newRunID(), Created: now, Updated: now}
	if err := s.Admins.AddStorageMove(ctx, job, now); err != nil {
		var busy *scopes.MoveBusyError
		if errors.As(err, &busy) {
			return moveJobPath(busy.Job) + "?busy=1"
		}
		s.Logger.ErrorContext(ctx, "record a move of live scopes", "err", err)
		return storageMovesPath + "?failed=1"
	}
	// Audited before the progress page shows it.
	s.auditAt(ctx, time.Now(), "storage.move.start", job.Title, startDetail(job, false))
	r := s.track(job)
	// The job outlives the request, and keeps its actor for the audit log.
	go s.run(context.WithoutCancel(ctx), r, true)
	return moveJobPath(job.ID)
}

// track keeps a run of this instance for its pages and its Stop.
func (s *storageMoves) track(job scopes.StorageMove) *moveRun {
	r := &moveRun{job: job, part: -1, saved: s.now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[job.ID] = r
	return r
}

// local returns the run of the job that this instance runs now, if any:
// not one that another instance took over.
func (s *storageMoves) local(id string) *moveRun {
	s.mu.Lock()
	r := s.runs[id]
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lost {
		return nil
	}
	return r
}

// forget drops a run that ended, unless a newer run of the job replaced it.
func (s *storageMoves) forget(r *moveRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runs[r.job.ID] == r {
		delete(s.runs, r.job.ID)
	}
}

// save writes the run's progress to the config store, at most every
// moveSaveEvery unless force, and tells whether the run is to stop: a Stop
// asked for on any instance, or the job taken over by another run. A
// config store that fails is logged and tried again at the next save: the
// run goes on meanwhile.
func (s *storageMoves) save(ctx context.Context, r *moveRun, force bool) bool {
	now := s.now()
	r.mu.Lock()
	due := force || now.Sub(r.saved) >= moveSaveEvery
	r.mu.Unlock()
	if !due {
		return r.stopped()
	}
	job := r.snapshot()
	stop, err := s.Admins.SaveStorageMove(ctx, job, now)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case scopes.ErrorCode(err) == scopes.EConflict:
		r.lost = true
		s.Logger.WarnContext(ctx, "a move of live scopes was taken over by another instance: this one stops running it", "job", job.ID)
	case err != nil:
		s.Logger.ErrorContext(ctx, "save the progress of a move of live scopes", "job", job.ID, "err", err)
	default:
		r.saved = now
		r.job.StopRequested = stop
		r.stop = r.stop || stop
	}
	return r.stop || r.lost
}

// run moves the job's parts one after the other, from where an earlier run
// stopped, and audits the run's end (its caller audits its start). A new
// job first waits for the other instances to read the new storage from the
// config store (the Directory's cache), so that none writes the old
// storage after the move has read a scope there; it keeps its heartbeat
// meanwhile.
func (s *storageMoves) run(ctx context.Context, r *moveRun, first bool) {
	defer s.forget(r)
	if first && s.Directory.CacheTTL > 0 {
		deadline := time.Now().Add(s.Directory.CacheTTL)
		for time.Now().Before(deadline) && !s.save(ctx, r, false) {
			time.Sleep(min(100*time.Millisecond, time.Until(deadline)))
		}
	}
	r.mu.Lock()
	if !r.stop {
		r.job.State = scopes.MoveRunning
	}
	r.mu.Unlock()
	var err error
	if !s.save(ctx, r, true) {
		err = s.runParts(ctx, r)
	}
	r.mu.Lock()
	if r.lost {
		r.mu.Unlock()
		return
	}
	r.job.State, r.job.LastError = scopes.MoveDone, ""
	switch {
	case err != nil:
		r.job.State, r.job.LastError = scopes.MoveFailed, scopes.ErrorMessage(err)
		s.Logger.Error("move live scopes", "job", r.job.ID, "err", err)
	case !r.job.Complete():
		r.job.State = scopes.MoveStopped
	}
	r.job.Finished = s.now()
	r.mu.Unlock()
	s.save(ctx, r, true)
	r.mu.Lock()
	lost := r.lost
	r.mu.Unlock()
	if lost {
		return
	}
	s.auditAt(ctx, time.Now(), "storage.move.end", r.job.Title, endDetail(r.snapshot()))
}

// runParts runs the unfinished parts until one fails or the run stops.
func (s *storageMoves) runParts(ctx context.Context, r *moveRun) error {
	for i := range r.job.Parts {
		if r.stopped() {
			return nil
		}
		r.mu.Lock()
		part := r.job.Parts[i]
		if part.Done.Complete {
			r.mu.Unlock()
			continue
		}
		r.part, r.cur = i, scopes.MoveRun{Next: part.Done.Next}
		r.mu.Unlock()
		if err := s.runPart(ctx, r, i, part); err != nil {
			return err
		}
	}
	return nil
}

// runPart runs one part from its cursor and adds what it did to the part.
func (s *storageMoves) runPart(ctx context.Context, r *moveRun, i int, part scopes.StorageMovePart) error {
	m := part.Move
	m.After = part.Done.Next
	eff, err := s.Directory.Effective(ctx, m.App)
	if err != nil {
		r.mu.Lock()
		r.part = -1
		r.mu.Unlock()
		return fmt.Errorf("settings of %s: %w", m.App, err)
	}
	var res scopes.MoveRun
	if s.Engine == nil {
		err = scopes.Errorf(scopes.EUnavailable, "This console was started without access to the storages, so it cannot move scopes.")
	} else {
		res, err = s.Engine.MoveScopes(ctx, eff.Settings, m, func(run scopes.MoveRun) bool {
			r.mu.Lock()
			r.cur = run
			r.mu.Unlock()
			return !s.save(ctx, r, false)
		})
	}
	r.mu.Lock()
	r.job.Parts[i].Done, r.cur, r.part = r.job.Parts[i].Done.Add(res), scopes.MoveRun{}, -1
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("move the %s of %s from %s to %s: %w", kindNoun(m.Kind, true), m.App, m.From, m.To, err)
	}
	return nil
}

// startDetail is the audit entry of a run's start: what it moves.
func startDetail(j scopes.StorageMove, resumed bool) string {
	var parts []string
	for _, p := range j.Parts {
		if p.Done.Complete {
			continue
		}
		s := fmt.Sprintf("%s of %s from %s to %s (%d counted)", kindNoun(p.Kind, true), p.App, p.From, p.To, p.Counted)
		if p.Done.Next != "" {
			s += " from after cfid " + p.Done.Next
		}
		parts = append(parts, s)
	}
	verb := "moving the live "
	if resumed {
		verb = "resuming the move of the live "
	}
	return verb + strings.Join(parts, "; ") + ", in the console on " + j.Runner + " (job " + j.ID + ")"
}

// endDetail is the audit entry of a run's end: the counts of the whole job
// so far and how it ended.
func endDetail(j scopes.StorageMove) string {
	t := j.Totals()
	var b strings.Builder
	fmt.Fprintf(&b, "%d moved, %d skipped (already in the new storage), %d failed, %d expired meanwhile, of %d read",
		t.Moved, t.Skipped, t.Failed, t.Expired, t.Scanned)
	for _, p := range j.Parts {
		r := p.Done
		fmt.Fprintf(&b, "; %s of %s from %s to %s: %d moved, %d skipped, %d failed", kindNoun(p.Kind, true), p.App, p.From, p.To,
			r.Moved, r.Skipped, r.Failed)
		if r.LastFailure != "" {
			fmt.Fprintf(&b, " (last: %s)", r.LastFailure)
		}
	}
	switch j.State {
	case scopes.MoveStopped:
		b.WriteString("; stopped by the operator, the rest stays in the old storage until resumed")
	case scopes.MoveFailed:
		b.WriteString("; then it stopped: " + j.LastError)
	default:
		b.WriteString("; done (job " + j.ID + ")")
	}
	return b.String()
}

// busyMove tells whether a job that runs now on some instance moves one
// of the plan's parts, for the confirmation page to refuse the change
// before it is saved. It reads the claims that AddStorageMove checks,
// whatever the job's age, and tells a live holder as AddStorageMove does;
// the config store refuses the job again, atomically, when it starts.
func (s *storageMoves) busyMove(ctx context.Context, parts []scopes.StorageMovePart) (*scopes.MoveBusyError, error) {
	now := s.now()
	for _, p := range parts {
		j, found, err := s.Admins.StorageMoveClaim(ctx, p.App, p.Kind)
		if err != nil {
			return nil, err
		}
		if found && j.Active() && !j.Orphaned(now) {
			return &scopes.MoveBusyError{Job: j.ID, App: p.App, Kind: p.Kind}, nil
		}
	}
	return nil, nil
}
