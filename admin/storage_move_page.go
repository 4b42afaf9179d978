package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// Display states of a job beside scopes' stored ones: a job asked to
// stop whose runner has not stopped yet, and one whose runner is gone.
const (
	moveStopping = "stopping"
	moveOrphaned = "orphaned"
)

// job reads a job from the config store, or this instance's fresher copy
// when it runs it.
func (s *storageMoves) job(c echo.Context) (scopes.StorageMove, error) {
	id := c.Param("id")
	if r := s.local(id); r != nil {
		return r.snapshot(), nil
	}
	j, found, err := s.Admins.StorageMove(c.Request().Context(), id)
	if err != nil {
		return j, err
	}
	if !found {
		return j, &moveGone{scopes.Errorf(scopes.ENotFound,
			"There is no move %q: the config store keeps every move started since this version of scopestore, so the address is wrong. "+
				"The list of moves shows the recent ones; the audit log records each run (storage.move.start and storage.move.end).", id)}
	}
	return j, nil
}

// progressPage shows a job: counts, a progress bar, Stop while it runs and
// Resume once it stopped or its runner is gone; it reloads itself until
// the job ends.
func (s *storageMoves) progressPage(c echo.Context) error {
	job, err := s.job(c)
	if err != nil {
		return err
	}
	v := newMoveJobView(job, s.local(job.ID) != nil, s.now())
	v.Busy = c.QueryParam("busy") != ""
	if !v.finished() {
		c.Response().Header().Set("Refresh", strconv.Itoa(progressRefresh))
	}
	return s.render(c, http.StatusOK, storageMovePage(s.meta(c, v.title(), v.section()), v))
}

// stopJob asks a running job to stop between two scopes: at once when
// this instance runs it, at the runner's next write otherwise; a job
// whose runner is gone is marked stopped at once.
func (s *storageMoves) stopJob(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	if r := s.local(id); r != nil {
		r.mu.Lock()
		r.stop = true
		r.mu.Unlock()
	}
	job, found, err := s.Admins.StopStorageMove(ctx, id, s.now())
	switch {
	case scopes.ErrorCode(err) == scopes.EConflict:
		// Stopped or ended meanwhile: the page says so.
	case err != nil:
		return err
	case !found:
		_, err := s.job(c)
		return err
	case job.State == scopes.MoveStopped:
		// An orphan, stopped by the store itself: its run's end, which
		// its gone runner could not audit.
		s.auditAt(ctx, time.Now(), "storage.move.end", job.Title, endDetail(job)+" (its runner, "+job.Runner+", had stopped writing)")
	}
	return redirect(c, moveJobPath(id))
}

// resumeJob runs a stopped, failed or orphaned job again, on this
// instance, from the cursors the config store holds.
func (s *storageMoves) resumeJob(c echo.Context) error {
	ctx := c.Request().Context()
	job, found, err := s.Admins.ResumeStorageMove(ctx, c.Param("id"), s.runner, newRunID(), s.now())
	var busy *scopes.MoveBusyError
	switch {
	case errors.As(err, &busy):
		return &moveBusy{busy}
	case err != nil:
		return err
	case !found:
		_, err := s.job(c)
		return err
	}
	s.auditAt(ctx, time.Now(), "storage.move.start", job.Title, startDetail(job, true))
	r := s.track(job)
	go s.run(context.WithoutCancel(ctx), r, false)
	return redirect(c, moveJobPath(job.ID))
}

// movePart is a part of a job as its page shows it.
type movePart struct {
	scopes.StorageMovePart
	// Running tells that this instance runs the part now.
	Running bool
}

// moveJobView is a job for its page.
type moveJobView struct {
	scopes.StorageMove
	Parts   []movePart
	Totals  scopes.MoveRun
	Counted int64
	// State is the display state: scopes' own, or moveStopping or
	// moveOrphaned.
	State string
	// Local tells that this instance runs the job.
	Local bool
	// Busy tells that the visitor's change was saved but its move did not
	// start, this job moving the same scopes.
	Busy bool
	Now  time.Time
}

func newMoveJobView(j scopes.StorageMove, local bool, now time.Time) moveJobView {
	v := moveJobView{StorageMove: j, Totals: j.Totals(), State: j.State, Local: local, Now: now}
	switch {
	case j.Orphaned(now) && !local:
		v.State = moveOrphaned
	case j.Active() && j.StopRequested:
		v.State = moveStopping
	}
	// Parts run one after the other: the first unfinished one runs.
	active, first := j.State == scopes.MoveRunning && !v.orphaned(), true
	for _, p := range j.Parts {
		v.Counted += p.Counted
		running := false
		if !p.Done.Complete {
			running, first = active && first, false
		}
		v.Parts = append(v.Parts, movePart{StorageMovePart: p, Running: running})
	}
	return v
}

func (v moveJobView) orphaned() bool { return v.State == moveOrphaned }

// finished tells that no run of the job goes on.
func (v moveJobView) finished() bool {
	return v.State == scopes.MoveStopped || v.State == scopes.MoveFailed || v.State == scopes.MoveDone
}

// resumable tells that the job stopped before the end, or lost its
// runner, and may go on.
func (v moveJobView) resumable() bool {
	if v.finished() {
		return v.State != scopes.MoveDone
	}
	return !v.Local && v.Resumable(v.Now)
}

// stoppable tells that Stop is offered: the job runs and was not asked to
// stop yet.
func (v moveJobView) stoppable() bool { return v.Active() && !v.StopRequested }

func (v moveJobView) title() string {
	if v.State == scopes.MoveDone {
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
	if v.State == scopes.MoveDone {
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
	if v.State == scopes.MoveDone {
		return countText(int64(n), true) + " " + pluralScopes(n) + " moved"
	}
	return countText(int64(v.handled()), true) + " of " + countText(int64(total), true) + " " + pluralScopes(total) +
		" handled so far (" + strconv.Itoa(v.percent()) + "%)"
}

// elapsed is how long the job took, or has taken so far.
func (v moveJobView) elapsed() string {
	end := v.Now
	if v.finished() && !v.Finished.IsZero() {
		end = v.Finished
	}
	return scopes.FormatTimeout(max(end.Sub(v.Created).Truncate(time.Second), time.Second))
}

// runnerText says which instance runs the job, and how recently it wrote.
func (v moveJobView) runnerText() string {
	switch {
	case v.Local:
		return v.Runner + " (this instance)"
	case v.finished():
		return v.Runner
	}
	return v.Runner + ", last heard from " + checkTime(v.Updated, v.Now)
}

// state says where a part is.
func (p movePart) state(job moveJobView) string {
	switch {
	case p.Done.Complete:
		return "done"
	case p.Running:
		return "moving"
	case p.Done.Scanned > 0 || p.Done.Next != "":
		return "stopped"
	case job.finished() || job.orphaned():
		return "not started"
	}
	return "waiting"
}

// lastFailure is why the last scope the new storage refused was refused.
func (v moveJobView) lastFailure() string {
	for _, p := range v.Parts {
		if f := p.Done.LastFailure; f != "" {
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

// moveGone is the page of a job the config store does not know.
type moveGone struct{ err *scopes.Error }

func (g *moveGone) Error() string { return g.err.Error() }

// Unwrap lets the error page read the code (404) and the message.
func (g *moveGone) Unwrap() error { return g.err }

// guide keeps the page inside the console and leads to the list of moves
// and the audit log.
func (g *moveGone) guide(v errorView) errorView {
	v.Heading, v.Title = "Move not found", "Move not found"
	v.Section = "scope"
	v.Links = []errorLink{{storageMovesPath, "Moves of live scopes"}, {Prefix + "/audit?action=storage.move", "Audit log: storage moves"}}
	return v
}

// moveBusy is the refusal of a Resume whose scopes another job moves now.
type moveBusy struct{ busy *scopes.MoveBusyError }

func (b *moveBusy) Error() string { return b.busy.Error() }

// Unwrap lets the error page read the code (409) and the message.
func (b *moveBusy) Unwrap() error { return b.busy }

// guide leads to the job that moves them.
func (b *moveBusy) guide(v errorView) errorView {
	v.Heading, v.Title, v.Section = "Moved by another job", "Moved by another job", "scope"
	v.Links = []errorLink{{moveJobPath(b.busy.Job), "The job that moves them"}, {storageMovesPath, "Moves of live scopes"}}
	return v
}
