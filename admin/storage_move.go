package admin

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// storageMovesPath is where the jobs that move live scopes after a change
// of storage show their progress.
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

// moveJob states.
const (
	moveWaiting  = "waiting"
	moveRunning  = "running"
	moveStopping = "stopping"
	moveStopped  = "stopped"
	moveFailed   = "failed"
	moveDone     = "done"
)

// storageMoves runs the jobs that move live scopes from the old storage to
// the new one after a confirmed change of storage, and remembers them for
// their progress pages. Only this instance knows a job and its cursor: a
// restart forgets both, and the change's page says that moving again is
// safe (a move is idempotent). The audit log keeps every run.
type storageMoves struct {
	*Console
	mu   sync.Mutex
	jobs map[string]*moveJob
	// order is the jobs' ids, oldest first, so that the oldest finished one
	// is forgotten past keptRuns.
	order []string
}

func newStorageMoves(a *Console) *storageMoves {
	return &storageMoves{Console: a, jobs: map[string]*moveJob{}}
}

// movePlan is what a confirmed storage change asked to move: one part per
// app and scope kind whose live scopes the old storage holds.
type movePlan struct {
	// Title names what changed ("the server defaults" or the app), Back
	// where the job's page leads back to.
	Title, Back string
	Parts       []movePart
}

// movePart is one app's scopes of one kind, and what the job did of it.
type movePart struct {
	scopes.Move
	// Counted is how many live scopes the confirmation page counted.
	Counted int64
	// Done is what the finished runs of the part did, summed; Run is what
	// the running one did so far.
	Done, Run scopes.MoveRun
	// Started tells that a run of the part has started; Running that one
	// runs now, whose counts are in Run.
	Started, Running bool
}

// progress is the part's counts so far, over its runs.
func (p movePart) progress() scopes.MoveRun {
	if !p.Running {
		return p.Done
	}
	return p.Done.Add(p.Run)
}

// moveJob is one move: the parts of a storage change, run one after the
// other, as its progress page shows it.
type moveJob struct {
	ID      string
	Title   string
	Back    string
	Started time.Time

	mu       sync.Mutex
	Parts    []movePart
	State    string
	Err      string
	Finished time.Time
	// stop is set by Stop: the run ends between two scopes.
	stop bool
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
			job := s.start(c.Request().Context(), plan)
			res.Header().Set(echo.HeaderLocation, moveJobPath(job.ID))
		})
		return next(c)
	}
}

// start makes a job of plan and runs it in the background.
func (s *storageMoves) start(ctx context.Context, plan *movePlan) *moveJob {
	job := &moveJob{ID: newRunID(), Title: plan.Title, Back: plan.Back, Started: time.Now(), Parts: plan.Parts, State: moveWaiting}
	s.remember(job)
	// Audited before the progress page shows it.
	s.auditMove(ctx, "storage.move.start", job.Title, job.startDetail(false))
	// The job outlives the request, and keeps its actor for the audit log.
	go s.run(context.WithoutCancel(ctx), job, true)
	return job
}

// remember keeps a job for its progress page, forgetting the oldest
// finished one past keptRuns.
func (s *storageMoves) remember(j *moveJob) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs[j.ID] = j
	s.order = append(s.order, j.ID)
	for i := 0; len(s.order) > keptRuns && i < len(s.order); i++ {
		old := s.jobs[s.order[i]]
		old.mu.Lock()
		done := old.State != moveWaiting && old.State != moveRunning && old.State != moveStopping
		old.mu.Unlock()
		if done {
			delete(s.jobs, s.order[i])
			s.order = append(s.order[:i], s.order[i+1:]...)
			i--
		}
	}
}

func (s *storageMoves) job(id string) (*moveJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return nil, &moveGone{scopes.Errorf(scopes.ENotFound,
			"This instance of scopestore has no record of that move: it ran on another instance, or this one restarted since. "+
				"Each run is recorded in the audit log (storage.move.start and storage.move.end). What it had not moved is still in the old "+
				"storage, and moving again is safe: no scope is moved twice or overwritten.")}
	}
	return j, nil
}

// run moves the job's parts one after the other, from where an earlier run
// stopped, and audits the run's end (its caller audits its start). A new job first
// waits for the other instances to read the new storage from the config
// store (the Directory's cache), so that none writes the old storage after
// the move has read a scope there.
func (s *storageMoves) run(ctx context.Context, job *moveJob, first bool) {
	if first && s.Directory.CacheTTL > 0 {
		deadline := time.Now().Add(s.Directory.CacheTTL)
		for time.Now().Before(deadline) && !job.stopped() {
			time.Sleep(min(100*time.Millisecond, time.Until(deadline)))
		}
	}
	job.mu.Lock()
	if job.stop {
		job.State = moveStopping
	} else {
		job.State = moveRunning
	}
	job.mu.Unlock()
	var err error
	for i := 0; err == nil && !job.stopped(); i++ {
		job.mu.Lock()
		if i >= len(job.Parts) {
			job.mu.Unlock()
			break
		}
		part := job.Parts[i]
		if part.Done.Complete {
			job.mu.Unlock()
			continue
		}
		job.Parts[i].Started, job.Parts[i].Running, job.Parts[i].Run = true, true, scopes.MoveRun{}
		job.mu.Unlock()
		err = s.runPart(ctx, job, i, part)
	}
	job.mu.Lock()
	switch {
	case err != nil:
		job.State, job.Err = moveFailed, scopes.ErrorMessage(err)
		s.Logger.Error("move live scopes", "job", job.ID, "err", err)
	case job.stop && !job.complete():
		job.State = moveStopped
	default:
		job.State = moveDone
	}
	job.Finished = time.Now()
	detail := job.endDetail()
	job.mu.Unlock()
	s.auditMove(ctx, "storage.move.end", job.Title, detail)
}

// runPart runs one part from its cursor and adds what it did to the part.
func (s *storageMoves) runPart(ctx context.Context, job *moveJob, i int, part movePart) error {
	m := part.Move
	m.After = part.Done.Next
	var set scopes.Settings
	eff, err := s.Directory.Effective(ctx, m.App)
	if err != nil {
		return fmt.Errorf("settings of %s: %w", m.App, err)
	}
	set = eff.Settings
	if s.Engine == nil {
		return scopes.Errorf(scopes.EUnavailable, "This console was started without access to the storages, so it cannot move scopes.")
	}
	res, err := s.Engine.MoveScopes(ctx, set, m, func(r scopes.MoveRun) bool {
		job.mu.Lock()
		defer job.mu.Unlock()
		job.Parts[i].Run = r
		return !job.stop
	})
	job.mu.Lock()
	defer job.mu.Unlock()
	job.Parts[i].Done, job.Parts[i].Run, job.Parts[i].Running = job.Parts[i].Done.Add(res), scopes.MoveRun{}, false
	if err != nil {
		return fmt.Errorf("move the %s of %s from %s to %s: %w", kindNoun(m.Kind, true), m.App, m.From, m.To, err)
	}
	return nil
}

func (j *moveJob) stopped() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.stop
}

// complete tells whether every part reached its end; the caller holds j.mu.
func (j *moveJob) complete() bool {
	for _, p := range j.Parts {
		if !p.Done.Complete {
			return false
		}
	}
	return true
}

// startDetail is the audit entry of a run's start: what it moves.
func (j *moveJob) startDetail(resumed bool) string {
	j.mu.Lock()
	defer j.mu.Unlock()
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
	return verb + strings.Join(parts, "; ") + ", in the console (job " + j.ID + ")"
}

// endDetail is the audit entry of a run's end: the counts of the whole job
// so far and how it ended; the caller holds j.mu.
func (j *moveJob) endDetail() string {
	t := j.totals()
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
	case moveStopped:
		b.WriteString("; stopped by the operator, the rest stays in the old storage until resumed")
	case moveFailed:
		b.WriteString("; then it stopped: " + j.Err)
	default:
		b.WriteString("; done (job " + j.ID + ")")
	}
	return b.String()
}

// totals sums the parts; the caller holds j.mu.
func (j *moveJob) totals() scopes.MoveRun {
	var t scopes.MoveRun
	for _, p := range j.Parts {
		t = t.Add(p.progress())
	}
	return t
}

// progressPage shows a job: counts, a progress bar, Stop while it runs and
// Resume once it stopped; it reloads itself until the job ends.
func (s *storageMoves) progressPage(c echo.Context) error {
	job, err := s.job(c.Param("id"))
	if err != nil {
		return err
	}
	v := job.view(time.Now())
	if !v.finished() {
		c.Response().Header().Set("Refresh", strconv.Itoa(progressRefresh))
	}
	return s.render(c, http.StatusOK, storageMovePage(s.meta(c, v.title(), v.section()), v))
}

// auditMove records a run of a job as the actor who started it.
func (s *storageMoves) auditMove(ctx context.Context, action, target, detail string) {
	e := scopes.AuditEntry{At: time.Now(), Actor: scopes.ActorFrom(ctx), Action: action, Target: target, Detail: detail}
	if err := s.Admins.AddAudit(ctx, e); err != nil {
		s.Logger.ErrorContext(ctx, "audit log write failed", "action", action, "target", target, "err", err)
	}
}

// stopJob asks a running job to stop between two scopes.
func (s *storageMoves) stopJob(c echo.Context) error {
	job, err := s.job(c.Param("id"))
	if err != nil {
		return err
	}
	job.mu.Lock()
	if job.State == moveWaiting || job.State == moveRunning {
		job.stop = true
		job.State = moveStopping
	}
	job.mu.Unlock()
	return redirect(c, moveJobPath(job.ID))
}

// resumeJob runs a stopped or failed job again from its cursor.
func (s *storageMoves) resumeJob(c echo.Context) error {
	job, err := s.job(c.Param("id"))
	if err != nil {
		return err
	}
	job.mu.Lock()
	resumable := job.State == moveStopped || job.State == moveFailed
	if resumable {
		job.stop, job.State, job.Err, job.Finished = false, moveRunning, "", time.Time{}
	}
	job.mu.Unlock()
	if resumable {
		s.auditMove(c.Request().Context(), "storage.move.start", job.Title, job.startDetail(true))
		go s.run(context.WithoutCancel(c.Request().Context()), job, false)
	}
	return redirect(c, moveJobPath(job.ID))
}

// moveJobView is a copy of a job for its page, read under its lock.
type moveJobView struct {
	ID, Title, Back string
	Parts           []movePart
	Totals          scopes.MoveRun
	Counted         int64
	State, Err      string
	Started         time.Time
	Finished        time.Time
	Now             time.Time
}

func (j *moveJob) view(now time.Time) moveJobView {
	j.mu.Lock()
	defer j.mu.Unlock()
	v := moveJobView{ID: j.ID, Title: j.Title, Back: j.Back, Parts: append([]movePart(nil), j.Parts...), Totals: j.totals(),
		State: j.State, Err: j.Err, Started: j.Started, Finished: j.Finished, Now: now}
	for _, p := range j.Parts {
		v.Counted += p.Counted
	}
	return v
}

// finished tells that no run of the job goes on.
func (v moveJobView) finished() bool {
	return v.State == moveStopped || v.State == moveFailed || v.State == moveDone
}

// resumable tells that the job stopped before the end and may go on.
func (v moveJobView) resumable() bool { return v.State == moveStopped || v.State == moveFailed }

func (v moveJobView) title() string {
	if v.State == moveDone {
		return "Moved the live scopes of " + v.Title
	}
	return "Moving the live scopes of " + v.Title
}

// section is the navigation entry the page belongs to.
func (v moveJobView) section() string {
	if strings.HasPrefix(v.Back, scopePath) {
		return "scope"
	}
	return "apps"
}

// handled is how many scopes the job has dealt with.
func (v moveJobView) handled() int {
	t := v.Totals
	return t.Moved + t.Skipped + t.Failed + t.Expired
}

// total is what the progress counts towards: the count confirmed, or what
// the job read when more were there.
func (v moveJobView) total() int { return max(int(v.Counted), v.Totals.Scanned) }

// percent is how far the job is, for the progress bar.
func (v moveJobView) percent() int {
	if v.State == moveDone {
		return 100
	}
	if v.total() == 0 {
		return 0
	}
	return min(99, v.handled()*100/v.total())
}

// headline says the job's state in one line.
func (v moveJobView) headline() string {
	n, total := v.Totals.Moved, v.total()
	if v.State == moveDone {
		return countText(int64(n), true) + " " + pluralScopes(n) + " moved"
	}
	return countText(int64(v.handled()), true) + " of " + countText(int64(total), true) + " " + pluralScopes(total) +
		" handled so far (" + strconv.Itoa(v.percent()) + "%)"
}

// stateText is the badge of the job's state.
func (v moveJobView) stateText() string {
	switch v.State {
	case moveWaiting:
		return "starting"
	case moveStopping:
		return "stopping"
	}
	return v.State
}

// elapsed is how long the job took, or has taken so far.
func (v moveJobView) elapsed() string {
	end := v.Now
	if v.finished() && !v.Finished.IsZero() {
		end = v.Finished
	}
	return scopes.FormatTimeout(max(end.Sub(v.Started).Truncate(time.Second), time.Second))
}

// partState says where a part is.
func (p movePart) state(job moveJobView) string {
	switch r := p.progress(); {
	case r.Complete:
		return "done"
	case p.Running:
		return "moving"
	case p.Started:
		return "stopped"
	case job.finished():
		return "not started"
	}
	return "waiting"
}

// lastFailure is why the last scope the new storage refused was refused.
func (v moveJobView) lastFailure() string {
	for _, p := range v.Parts {
		if f := p.progress().LastFailure; f != "" {
			return f
		}
	}
	return ""
}

// summary says how a finished job went, naming only the counts that are
// not zero besides the moved.
func (v moveJobView) summary() string {
	t := v.Totals
	s := "Done: " + countText(int64(t.Moved), true) + " " + pluralScopes(t.Moved) + " moved to the new storage, and deleted from the old one."
	if t.Skipped > 0 {
		s += " " + countText(int64(t.Skipped), true) + " skipped: the new storage already held a scope under their cfid, which was kept, " +
			"not overwritten (their old copies were deleted)."
	}
	if t.Failed > 0 {
		s += " " + countText(int64(t.Failed), true) + " failed and stay in the old storage; the last was refused because " + v.lastFailure() + "."
	}
	if t.Expired > 0 {
		s += " " + countText(int64(t.Expired), true) + " expired before the job reached them; the old storage's cleaner ends them."
	}
	return s
}

// backLabel names where Back leads.
func (v moveJobView) backLabel() string {
	if v.section() == "scope" {
		return "Back to the Scope page"
	}
	return "Back to " + v.Title
}

func (v moveJobView) stopPath() string   { return moveJobPath(v.ID) + "/stop" }
func (v moveJobView) resumePath() string { return moveJobPath(v.ID) + "/resume" }

// moveGone is the page of a job this instance does not know.
type moveGone struct{ err *scopes.Error }

func (g *moveGone) Error() string { return g.err.Error() }

// Unwrap lets the error page read the code (404) and the message.
func (g *moveGone) Unwrap() error { return g.err }

// guide keeps the page inside the console and leads to the audit log.
func (g *moveGone) guide(v errorView) errorView {
	v.Heading, v.Title = "Move not found", "Move not found"
	v.Section = "scope"
	v.Links = []errorLink{{scopePath, "Scope"}, {Prefix + "/audit?action=storage.move", "Audit log: storage moves"}}
	return v
}
