package scopes

import (
	"context"
	"time"
)

// States of a StorageMove.
const (
	// MoveStarting is a new job that waits for every instance to read the
	// new storage before it reads the old one.
	MoveStarting = "starting"
	// MoveRunning is a job that moves scopes now.
	MoveRunning = "running"
	// MoveStopped is a job that an administrator stopped; it may resume.
	MoveStopped = "stopped"
	// MoveFailed is a job that a storage's failure stopped; it may resume.
	MoveFailed = "failed"
	// MoveDone is a job that reached the end of every part.
	MoveDone = "done"
)

// MoveOrphanAfter is how long a starting or running job may go without a
// heartbeat from its runner before other instances take the runner for
// dead and offer to resume the job: many times the runner's write
// interval, so that a slow config store does not make a live runner look
// dead.
const MoveOrphanAfter = time.Minute

// StorageMove is a job that moves the live scopes of one or more apps and
// kinds to their new storage after a change of storage, as the config
// store keeps it so that every instance shows it and any can resume it.
type StorageMove struct {
	// ID names the job in its page's address and the audit log.
	ID string
	// Title names what changed ("the server defaults" or the app), Back
	// where the job's page leads back to.
	Title, Back string
	// Parts are the apps and kinds it moves, each with its cursor.
	Parts []StorageMovePart
	State string
	// LastError is why the job failed, for a failed job.
	LastError string
	// StartedBy is the actor who started it ("admin:NAME", "cli:USER").
	StartedBy string
	// Runner names the instance that runs it, or ran it last; RunID names
	// that run, so that a run that another instance took over finds out
	// at its next write and stops.
	Runner, RunID string
	// StopRequested is set by Stop on any instance; the runner reads it at
	// its next write and stops between two scopes.
	StopRequested bool
	// Created is when the job started; Updated the runner's last write,
	// its heartbeat; Finished when it ended (zero while it runs).
	Created, Updated, Finished time.Time
}

// StorageMovePart is one app's scopes of one kind and what the job's runs
// did of them: Done.Next is the part's cursor.
type StorageMovePart struct {
	Move
	// Counted is how many live scopes the confirmation counted.
	Counted int64
	// Done is what the runs of the part did, summed, as last saved.
	Done MoveRun
}

// Active tells whether the job is starting or running, or was when its
// runner last wrote.
func (m StorageMove) Active() bool { return m.State == MoveStarting || m.State == MoveRunning }

// Orphaned tells whether the job is active but its runner has not written
// for MoveOrphanAfter at now: the instance that ran it stopped or lost the
// config store, and another may resume it.
func (m StorageMove) Orphaned(now time.Time) bool {
	return m.Active() && now.Sub(m.Updated) > MoveOrphanAfter
}

// Resumable tells whether a Resume may run the job again at now.
func (m StorageMove) Resumable(now time.Time) bool {
	return m.State == MoveStopped || m.State == MoveFailed || m.Orphaned(now)
}

// Totals sums the parts' counts.
func (m StorageMove) Totals() MoveRun {
	var t MoveRun
	for _, p := range m.Parts {
		t = t.Add(p.Done)
	}
	return t
}

// Complete tells whether every part reached its end.
func (m StorageMove) Complete() bool {
	for _, p := range m.Parts {
		if !p.Done.Complete {
			return false
		}
	}
	return true
}

// MoveBusyError is the refusal to start or resume a job for an app and
// kind that another job, whose runner is alive, moves already.
type MoveBusyError struct {
	// Job is the ID of the job that moves them.
	Job  string
	App  string
	Kind Kind
}

// Error implements the error interface.
func (e *MoveBusyError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the error its code (EConflict) and message.
func (e *MoveBusyError) Unwrap() error {
	return Errorf(EConflict, "The live %s scopes of %s are being moved already, by another job (%s): one job at a time moves an app's scopes of one kind.",
		e.Kind, e.App, e.Job)
}

// StorageMoveStore keeps the jobs that move live scopes, for every
// instance that shares the config store. "Not found" is a value.
type StorageMoveStore interface {
	// AddStorageMove stores a new job and claims the app and kind of each
	// of its parts, in one transaction: a *MoveBusyError when a job that
	// is active and not orphaned at now holds one of them.
	AddStorageMove(ctx context.Context, m StorageMove, now time.Time) error
	// StorageMove returns the job with this ID.
	StorageMove(ctx context.Context, id string) (m StorageMove, found bool, err error)
	// StorageMoves lists up to limit jobs, newest first.
	StorageMoves(ctx context.Context, limit int) ([]StorageMove, error)
	// StorageMoveClaim returns the job that holds the claim on app's
	// scopes of kind, however old it is; whether it still runs is for the
	// caller to tell (Active, Orphaned), as AddStorageMove does.
	StorageMoveClaim(ctx context.Context, app string, kind Kind) (m StorageMove, found bool, err error)
	// SaveStorageMove writes the parts, state, last error and finish time
	// of m as run m.RunID, with now as its heartbeat, releasing its claims
	// once the job is no longer active, and returns whether a stop was
	// requested. An EConflict says that another run took the job over:
	// nothing was written, and the caller stops.
	SaveStorageMove(ctx context.Context, m StorageMove, now time.Time) (stop bool, err error)
	// StopStorageMove asks the job's runner to stop; a job orphaned at now
	// has no runner to ask, and is marked stopped at once. A job that is
	// not active is an EConflict.
	StopStorageMove(ctx context.Context, id string, now time.Time) (m StorageMove, found bool, err error)
	// ResumeStorageMove hands a job that is Resumable at now to a new run,
	// runner's runID, in state running, claiming its unfinished parts
	// again: a *MoveBusyError when another job holds one, an EConflict
	// when the job is not resumable (any more).
	ResumeStorageMove(ctx context.Context, id, runner, runID string, now time.Time) (m StorageMove, found bool, err error)
}
