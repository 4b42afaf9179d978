package scopes

import (
	"bytes"
	"context"
	"fmt"
)

// moveBatch is how many records one Store.List call of MoveScopes reads
// from the old storage: a run holds no more than that in memory.
const moveBatch = 200

// moveReport is how many records a run handles between two reports of its
// progress.
const moveReport = 50

// Move names what MoveScopes moves: the live scopes of one app's kind from
// one storage to another, after a change of the app's storage.
type Move struct {
	App  string
	Kind Kind
	// From is the old storage, To the new one (canonical storage names).
	From, To string
	// After is the cursor: the run starts after this cfid ("" from the
	// first), where an earlier run of the same move stopped (MoveRun.Next).
	After string
}

// MoveRun is what a run of MoveScopes has done so far, or did.
type MoveRun struct {
	// Scanned is how many live records the run read from the old storage.
	Scanned int
	// Moved is how many it wrote to the new storage and then deleted from
	// the old one. A copy that an interrupted run had written already (the
	// same version, created time and data) counts as moved too: this run
	// finished moving it.
	Moved int
	// Skipped is how many were in the new storage already under the same
	// cfid (a visitor who came back after the change and was given that
	// cfid, or a write since): the new storage's record is kept, never
	// overwritten, and the old one is deleted.
	Skipped int
	// Expired is how many expired between their read and their move: they
	// are left in the old storage, whose cleaner deletes them and tells
	// their app, as for any expired scope.
	Expired int
	// Failed is how many the new storage refused (too large for it, over a
	// memory limit…) or did not take for another reason (see moveOne):
	// they stay in the old storage; LastFailure says why the last one was
	// refused.
	Failed      int
	LastFailure string
	// Complete is true when the run reached the end of the app's scopes
	// in the old storage.
	Complete bool
	// Next is the cfid of the last record the run handled (moved, skipped,
	// expired or failed): the cursor that a next run passes as Move.After
	// to go on where this one stopped. It is After when the run handled none.
	Next string
}

// Add returns the sum of two runs' counts, as a job that resumes keeps
// them; Complete and Next are b's.
func (r MoveRun) Add(b MoveRun) MoveRun {
	r.Scanned += b.Scanned
	r.Moved += b.Moved
	r.Skipped += b.Skipped
	r.Expired += b.Expired
	r.Failed += b.Failed
	if b.LastFailure != "" {
		r.LastFailure = b.LastFailure
	}
	r.Complete, r.Next = b.Complete, b.Next
	return r
}

// MoveScopes moves the live scopes of m.App's kind m.Kind from storage
// m.From to storage m.To, in cfid order starting after m.After, as they
// are stored: data, version, created and last visit times, hit count and
// expiry stay as they were, so a visitor's next request, answered from the
// new storage, finds the scope where the old storage left it.
//
// Each record is written to the new storage only where no live record has
// its cfid (Store.Write with ExpectAbsent), so a scope the new storage
// holds already is never overwritten (MoveRun.Skipped), and only then
// deleted from the old storage. That order is what makes a run safe to stop
// or crash anywhere: between a record's write and its delete the scope is
// in both storages, and the app reads the new one; a later run finds the
// copy there, skips the write and finishes with the delete. The reverse
// order could lose a scope. Moving is therefore idempotent: running a move
// again from the start, or resuming it from Next, moves what is left and
// never a scope twice.
//
// The run reads moveBatch records at a time (Store.List) and handles them
// one by one, two round trips each (a write whose outcome is unknown is
// resolved as every write is). progress, when not nil, is called every few
// records with the run so far and returns whether to go on: false stops the
// run between two records, with Next where a next run would go on. Closing
// ctx stops it too. A failure of either storage stops the run and returns
// it so far with the error; a record the new storage refuses is counted in
// Failed and the run goes on.
//
// set are the app's settings, for the limits of the memory storage when
// that is m.To. A scope of the old storage written by another instance
// between its read and its delete (one that has not yet seen the change of
// storage) is deleted as read: callers wait until every instance reads the
// new settings before they move.
func (e *Engine) MoveScopes(ctx context.Context, set Settings, m Move, progress func(MoveRun) bool) (MoveRun, error) {
	run := MoveRun{Next: m.After}
	if !m.Kind.Valid() {
		return run, Errorf(EInvalid, "only session and client scopes are moved, not %q", m.Kind)
	}
	if m.From == m.To {
		return run, Errorf(EInvalid, "the old and the new storage are both %q: there is nothing to move", m.From)
	}
	if !serverSide(m.From) || !serverSide(m.To) {
		return run, Errorf(EUnsupported, "scopes in cookie storage live in their visitors' browsers: they cannot be moved from or to it")
	}
	from, err := e.storages.Store(ctx, m.From)
	if err != nil {
		return run, e.storageError(m.From, err)
	}
	to, err := e.storages.Store(ctx, m.To)
	if err != nil {
		return run, e.storageError(m.To, err)
	}
	t := target{name: m.To, store: to, limits: set.Limits}
	if h, ok := to.(MemoryHolder); ok && m.To == StorageMemory {
		t.holder = h
	}
	goOn := func() bool { return progress == nil || progress(run) }
	for {
		recs, err := from.List(ctx, m.App, m.Kind, run.Next, moveBatch, e.now())
		if err != nil {
			return run, e.storageError(m.From, err)
		}
		for i := range recs {
			if i > 0 && i%moveReport == 0 && !goOn() {
				return run, nil
			}
			if err := ctx.Err(); err != nil {
				return run, err
			}
			if err := e.moveOne(ctx, m, from, t, recs[i], &run); err != nil {
				return run, err
			}
		}
		if len(recs) < moveBatch {
			run.Complete = true
			goOn()
			return run, nil
		}
		if !goOn() {
			return run, nil
		}
	}
}

// moveOne moves one record read from the old storage: it writes it to the
// new storage unless a live record is there, then deletes it from the old
// one, and counts it in run. It returns an error, having counted nothing,
// when either storage fails: the record is then where it was, or in both
// storages, and a next run starting at run.Next handles it again.
func (e *Engine) moveOne(ctx context.Context, m Move, from Store, t target, rec Record, run *MoveRun) error {
	now := e.now()
	if rec.Expired(now) {
		run.Scanned++
		run.Expired++
		run.Next = rec.CFID
		return nil
	}
	if t.holder != nil {
		if err := e.admitMemory(t, m.App, HeldBytes(rec)); err != nil {
			run.Scanned++
			run.Failed++
			run.LastFailure = fmt.Sprintf("%s %s: %s", m.Kind, rec.CFID, ErrorMessage(err))
			run.Next = rec.CFID
			return nil
		}
	}
	old := rec
	rec.Rev = NewRev()
	var res WriteResult
	err := e.resolve(ctx, m.To, rec.Key, func() (err error) {
		res, err = t.store.Write(ctx, rec, ExpectAbsent, now)
		return err
	})
	switch code := ErrorCode(err); {
	case err == nil:
	case code == EUnavailable || code == EInternal:
		return err
	default:
		// The new storage refused this record (too large for it, say):
		// it stays where it is, and the others go on.
		run.Scanned++
		run.Failed++
		run.LastFailure = fmt.Sprintf("%s %s: %s", m.Kind, rec.CFID, ErrorMessage(err))
		run.Next = rec.CFID
		return nil
	}
	moved := res.Written || res.Found && sameScope(res.Rec, old)
	if !res.Written && !res.Found {
		// Not written, and no live record there either: the one that kept
		// the write out was gone when the storage read it back (expired,
		// or deleted by its cleaner in between). A record that expired
		// since is left to the old storage's cleaner; a live one stays in
		// the old storage too, but the cleaner would not end it and no
		// request reads it there after the change: it failed.
		run.Scanned++
		run.Next = rec.CFID
		if rec.Expired(e.now()) {
			run.Expired++
			return nil
		}
		run.Failed++
		run.LastFailure = fmt.Sprintf("%s %s: the new storage held another scope under its cfid, gone when it was read back", m.Kind, rec.CFID)
		return nil
	}
	if _, err := from.Delete(ctx, old.Key); err != nil {
		return e.storageError(m.From, err)
	}
	// This instance's copy of the old storage's record, if it holds one,
	// is gone from the storage: were the app moved back, the copy must not
	// be served.
	e.tier.markStale(tierKey{m.From, old.Key})
	run.Scanned++
	if moved {
		run.Moved++
	} else {
		run.Skipped++
	}
	run.Next = rec.CFID
	return nil
}

// sameScope tells whether the new storage's record is the old storage's,
// copied there by an earlier run that stopped before its delete.
func sameScope(cur, old Record) bool {
	return cur.Version == old.Version && cur.TimeCreated.Equal(old.TimeCreated) && cur.CFToken == old.CFToken &&
		bytes.Equal(cur.Data, old.Data)
}
