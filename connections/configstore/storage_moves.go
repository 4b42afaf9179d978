package configstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/connections/sqlerr"
	"github.com/scopestore/scopestore/scopes"
)

var _ scopes.StorageMoveStore = (*Store)(nil)

// moveRow is a storage_moves row.
type moveRow struct {
	ID            string       `db:"id"`
	Title         string       `db:"title"`
	Back          string       `db:"back"`
	Parts         string       `db:"parts"`
	State         string       `db:"state"`
	LastError     string       `db:"last_error"`
	StartedBy     string       `db:"started_by"`
	Runner        string       `db:"runner"`
	RunID         string       `db:"run_id"`
	StopRequested bool         `db:"stop_requested"`
	Created       time.Time    `db:"created_at"`
	Updated       time.Time    `db:"updated_at"`
	Finished      sql.NullTime `db:"finished_at"`
}

// selectMoves reads jobs; the count columns are for other readers of the
// table, the parts hold the same counts.
const selectMoves = `SELECT id, title, back, parts, state, last_error, started_by, runner, run_id, stop_requested,
	created_at, updated_at, finished_at FROM storage_moves`

// movePartJSON is a part as the parts column keeps it: names of its own,
// so that a rename in package scopes does not change stored rows.
type movePartJSON struct {
	App         string `json:"app"`
	Kind        string `json:"kind"`
	From        string `json:"from"`
	To          string `json:"to"`
	Counted     int64  `json:"counted"`
	Scanned     int    `json:"read"`
	Moved       int    `json:"moved"`
	Skipped     int    `json:"skipped"`
	Expired     int    `json:"expired"`
	Failed      int    `json:"failed"`
	LastFailure string `json:"lastFailure,omitempty"`
	Complete    bool   `json:"complete"`
	Cursor      string `json:"cursor"`
}

func encodeParts(parts []scopes.StorageMovePart) (string, error) {
	out := make([]movePartJSON, len(parts))
	for i, p := range parts {
		d := p.Done
		out[i] = movePartJSON{App: p.App, Kind: string(p.Kind), From: p.From, To: p.To, Counted: p.Counted,
			Scanned: d.Scanned, Moved: d.Moved, Skipped: d.Skipped, Expired: d.Expired, Failed: d.Failed,
			LastFailure: d.LastFailure, Complete: d.Complete, Cursor: d.Next}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("configstore: encode the parts of a storage move: %w", err)
	}
	return string(b), nil
}

func (r moveRow) move() (scopes.StorageMove, error) {
	m := scopes.StorageMove{ID: r.ID, Title: r.Title, Back: r.Back, State: r.State, LastError: r.LastError, StartedBy: r.StartedBy,
		Runner: r.Runner, RunID: r.RunID, StopRequested: r.StopRequested, Created: r.Created.UTC(), Updated: r.Updated.UTC()}
	if r.Finished.Valid {
		m.Finished = r.Finished.Time.UTC()
	}
	var parts []movePartJSON
	if err := json.Unmarshal([]byte(r.Parts), &parts); err != nil {
		return m, fmt.Errorf("configstore: decode the parts of storage move %s: %w", r.ID, err)
	}
	for _, p := range parts {
		m.Parts = append(m.Parts, scopes.StorageMovePart{
			Move:    scopes.Move{App: p.App, Kind: scopes.Kind(p.Kind), From: p.From, To: p.To},
			Counted: p.Counted,
			Done: scopes.MoveRun{Scanned: p.Scanned, Moved: p.Moved, Skipped: p.Skipped, Expired: p.Expired, Failed: p.Failed,
				LastFailure: p.LastFailure, Complete: p.Complete, Next: p.Cursor},
		})
	}
	return m, nil
}

// AddStorageMove stores a new job and claims the app and kind of each of
// its parts in one transaction. A claim held by a job that has ended, or
// whose runner is gone (orphaned at now), is taken over; one held by an
// active job is a *scopes.MoveBusyError. Two instances that start a job
// for the same app and kind at once meet on the claims' primary key: one
// commits, the other is refused.
func (s *Store) AddStorageMove(ctx context.Context, m scopes.StorageMove, now time.Time) error {
	if err := checkName("instance", m.Runner); err != nil {
		return err
	}
	parts, err := encodeParts(m.Parts)
	if err != nil {
		return err
	}
	t := m.Totals()
	err = s.inMoveTx(ctx, "start a storage move", func(tx *sqlx.Tx) error {
		if err := s.claimParts(ctx, tx, m, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO storage_moves (id, title, back, parts, state, scanned, moved, skipped,
			expired, failed, last_error, started_by, runner, run_id, stop_requested, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			m.ID, m.Title, m.Back, parts, m.State, t.Scanned, t.Moved, t.Skipped, t.Expired, t.Failed, m.LastError, m.StartedBy,
			m.Runner, m.RunID, false, dbTime(m.Created), dbTime(now))
		if err != nil {
			return err
		}
		// The jobs that ended long ago go as new ones start, so that the
		// table does not grow for ever; their claims go with them.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM storage_moves WHERE finished_at IS NOT NULL AND finished_at < ?`),
			dbTime(now.Add(-StorageMoveRetention))); err != nil {
			return err
		}
		return s.insertClaims(ctx, tx, m)
	})
	return s.busy(ctx, m, err)
}

// StorageMoveRetention is how long a storage move that ended is kept, for
// the list of moves and its page: the next job started after that deletes it.
const StorageMoveRetention = 90 * 24 * time.Hour

// inMoveTx runs fn in a transaction: begin, rollback unless fn and the
// commit succeed.
func (s *Store) inMoveTx(ctx context.Context, op string, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.wrap(op, err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return s.wrap(op, err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(op, err)
	}
	return nil
}

// claimHolder is the job that holds a claim, as claimParts reads it.
type claimHolder struct {
	ID      string    `db:"id"`
	State   string    `db:"state"`
	Updated time.Time `db:"updated_at"`
}

// claimParts checks that no other job moves the unfinished parts of m
// now, and releases the claims of the jobs that ended or were orphaned.
func (s *Store) claimParts(ctx context.Context, tx *sqlx.Tx, m scopes.StorageMove, now time.Time) error {
	for _, p := range m.Parts {
		if p.Done.Complete {
			continue
		}
		var h claimHolder
		err := sqlx.GetContext(ctx, tx, &h, s.q(`SELECT m.id, m.state, m.updated_at FROM storage_move_claims c
			JOIN storage_moves m ON m.id = c.move_id WHERE c.app = ? AND c.kind = ?`), p.App, string(p.Kind))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return err
		case h.ID == m.ID:
			continue
		}
		holder := scopes.StorageMove{State: h.State, Updated: h.Updated}
		if holder.Active() && !holder.Orphaned(now) {
			return &scopes.MoveBusyError{Job: h.ID, App: p.App, Kind: p.Kind}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM storage_move_claims WHERE app = ? AND kind = ? AND move_id = ?`),
			p.App, string(p.Kind), h.ID); err != nil {
			return err
		}
	}
	return nil
}

// insertClaims claims the unfinished parts of m that it does not hold yet.
func (s *Store) insertClaims(ctx context.Context, tx *sqlx.Tx, m scopes.StorageMove) error {
	for _, p := range m.Parts {
		if p.Done.Complete {
			continue
		}
		var holder string
		err := sqlx.GetContext(ctx, tx, &holder, s.q(`SELECT move_id FROM storage_move_claims WHERE app = ? AND kind = ?`),
			p.App, string(p.Kind))
		if err == nil && holder == m.ID {
			continue
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO storage_move_claims (app, kind, move_id) VALUES (?, ?, ?)`),
			p.App, string(p.Kind), m.ID); err != nil {
			return err
		}
	}
	return nil
}

// busy turns the duplicate claim of a job started at the same time on
// another instance into the MoveBusyError that names that job.
func (s *Store) busy(ctx context.Context, m scopes.StorageMove, err error) error {
	if !sqlerr.Duplicate(err) {
		return err
	}
	for _, p := range m.Parts {
		var holder string
		if e := sqlx.GetContext(ctx, s.db, &holder, s.q(`SELECT move_id FROM storage_move_claims WHERE app = ? AND kind = ?`),
			p.App, string(p.Kind)); e == nil && holder != m.ID {
			return &scopes.MoveBusyError{Job: holder, App: p.App, Kind: p.Kind}
		}
	}
	return scopes.Errorf(scopes.EConflict, "another job started moving the same scopes at the same time; reload the page")
}

// StorageMove returns the job with this ID.
func (s *Store) StorageMove(ctx context.Context, id string) (scopes.StorageMove, bool, error) {
	m, found, err := s.readMove(ctx, s.db, id)
	if err != nil {
		return m, false, s.wrap("read storage move", err)
	}
	return m, found, nil
}

func (s *Store) readMove(ctx context.Context, q sqlx.QueryerContext, id string) (scopes.StorageMove, bool, error) {
	return s.readMoveWhere(ctx, q, `id = ?`, id)
}

// readMoveWhere reads the one job that where (with its args) selects.
func (s *Store) readMoveWhere(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) (scopes.StorageMove, bool, error) {
	var r moveRow
	err := sqlx.GetContext(ctx, q, &r, s.q(selectMoves+` WHERE `+where), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return scopes.StorageMove{}, false, nil
	} else if err != nil {
		return scopes.StorageMove{}, false, err
	}
	m, err := r.move()
	return m, err == nil, err
}

// StorageMoveClaim returns the job that holds the claim on app's scopes of
// kind: one row at most, since (app, kind) is the claims' primary key.
func (s *Store) StorageMoveClaim(ctx context.Context, app string, kind scopes.Kind) (scopes.StorageMove, bool, error) {
	m, found, err := s.readMoveWhere(ctx, s.db, `id = (SELECT move_id FROM storage_move_claims WHERE app = ? AND kind = ?)`, app, string(kind))
	if err != nil {
		return m, false, s.wrap("read the claim of a storage move", err)
	}
	return m, found, nil
}

// StorageMoves lists up to limit jobs, newest first.
func (s *Store) StorageMoves(ctx context.Context, limit int) ([]scopes.StorageMove, error) {
	var rows []moveRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, s.q(selectMoves+` ORDER BY created_at DESC, id LIMIT ?`), limit); err != nil {
		return nil, s.wrap("list storage moves", err)
	}
	out := make([]scopes.StorageMove, 0, len(rows))
	for _, r := range rows {
		m, err := r.move()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// SaveStorageMove writes the progress of m as run m.RunID and returns
// whether a stop was requested; an EConflict when another run took the job
// over. A job that is no longer active releases its claims.
func (s *Store) SaveStorageMove(ctx context.Context, m scopes.StorageMove, now time.Time) (bool, error) {
	parts, err := encodeParts(m.Parts)
	if err != nil {
		return false, err
	}
	t := m.Totals()
	var finished any
	if !m.Finished.IsZero() {
		finished = dbTime(m.Finished)
	}
	var stop bool
	err = s.inMoveTx(ctx, "save storage move", func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE storage_moves SET parts = ?, state = ?, scanned = ?, moved = ?, skipped = ?,
			expired = ?, failed = ?, last_error = ?, updated_at = ?, finished_at = ? WHERE id = ? AND run_id = ?`),
			parts, m.State, t.Scanned, t.Moved, t.Skipped, t.Expired, t.Failed, m.LastError, dbTime(now), finished, m.ID, m.RunID)
		if err != nil {
			return err
		}
		// MySQL counts only changed rows: read the run back rather than
		// trust RowsAffected.
		var cur struct {
			RunID string `db:"run_id"`
			Stop  bool   `db:"stop_requested"`
		}
		err = sqlx.GetContext(ctx, tx, &cur, s.q(`SELECT run_id, stop_requested FROM storage_moves WHERE id = ?`), m.ID)
		if errors.Is(err, sql.ErrNoRows) || err == nil && cur.RunID != m.RunID {
			return scopes.Errorf(scopes.EConflict, "storage move %s was taken over by another run", m.ID)
		} else if err != nil {
			return err
		}
		stop = cur.Stop
		if !m.Active() {
			_, err = tx.ExecContext(ctx, s.q(`DELETE FROM storage_move_claims WHERE move_id = ?`), m.ID)
		}
		return err
	})
	return stop, err
}

// StopStorageMove asks the runner of an active job to stop, or marks an
// orphaned job stopped at once.
func (s *Store) StopStorageMove(ctx context.Context, id string, now time.Time) (scopes.StorageMove, bool, error) {
	var m scopes.StorageMove
	var found bool
	err := s.inMoveTx(ctx, "stop storage move", func(tx *sqlx.Tx) error {
		var err error
		if m, found, err = s.readMove(ctx, tx, id); err != nil || !found {
			return err
		}
		switch {
		case !m.Active():
			return scopes.Errorf(scopes.EConflict, "this move is %s already: there is nothing to stop", m.State)
		case m.Orphaned(now):
			// The run is ended with it: a runner that was only slow finds
			// its next save refused, rather than reviving the job.
			prev := m.RunID
			m.State, m.Finished, m.RunID = scopes.MoveStopped, dbTime(now), ""
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE storage_moves SET state = ?, finished_at = ?, run_id = ? WHERE id = ? AND run_id = ?`),
				m.State, m.Finished, m.RunID, id, prev); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, s.q(`DELETE FROM storage_move_claims WHERE move_id = ?`), id)
			return err
		}
		m.StopRequested = true
		_, err = tx.ExecContext(ctx, s.q(`UPDATE storage_moves SET stop_requested = ? WHERE id = ? AND run_id = ?`), true, id, m.RunID)
		return err
	})
	return m, found, err
}

// ResumeStorageMove hands a resumable job to the run runID of runner,
// claiming its unfinished parts again.
func (s *Store) ResumeStorageMove(ctx context.Context, id, runner, runID string, now time.Time) (scopes.StorageMove, bool, error) {
	if err := checkName("instance", runner); err != nil {
		return scopes.StorageMove{}, false, err
	}
	var m scopes.StorageMove
	var found bool
	err := s.inMoveTx(ctx, "resume storage move", func(tx *sqlx.Tx) error {
		var err error
		if m, found, err = s.readMove(ctx, tx, id); err != nil || !found {
			return err
		}
		if !m.Resumable(now) {
			return scopes.Errorf(scopes.EConflict, "this move is %s on %s: it can be resumed once it has stopped", m.State, m.Runner)
		}
		if err := s.claimParts(ctx, tx, m, now); err != nil {
			return err
		}
		// The condition on the old run makes two Resumes at once hand the
		// job to one run: the other updates nothing, and says so.
		res, err := tx.ExecContext(ctx, s.q(`UPDATE storage_moves SET state = ?, runner = ?, run_id = ?, stop_requested = ?,
			last_error = '', updated_at = ?, finished_at = NULL WHERE id = ? AND run_id = ?`),
			scopes.MoveRunning, runner, runID, false, dbTime(now), id, m.RunID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return scopes.Errorf(scopes.EConflict, "this move was resumed by another instance at the same time")
		}
		m.State, m.Runner, m.RunID, m.StopRequested, m.LastError, m.Updated, m.Finished =
			scopes.MoveRunning, runner, runID, false, "", dbTime(now), time.Time{}
		return s.insertClaims(ctx, tx, m)
	})
	if err != nil {
		return m, found, s.busy(ctx, m, err)
	}
	return m, found, nil
}
