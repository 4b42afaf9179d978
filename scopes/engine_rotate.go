package scopes

import (
	"context"
	"time"
)

// Rotate moves a session to a new cfid with the same data (Lucee's
// SessionRotate, the defence against session fixation) and returns the new
// session, at version 1. newCFID is the cfid to use ("" for a random one).
//
// The old cfid keeps answering for RotateGrace, read-only, naming the new
// one (Record.RotatedTo), so that requests already in flight with the old
// cookie neither start an empty session nor write where nobody reads; a
// change sent there is refused with ERotated. The new session is written
// first, then the old one is marked with a compare-and-set on the record
// whose data the new one holds: a change that reached the old cfid before
// the mark is copied over, none is lost. The app's webhook is told that the
// old cfid was rotated (ReasonRotated), not, at the grace's end, that it
// expired.
func (e *Engine) Rotate(ctx context.Context, set Settings, key Key, newCFID string) (_ *Scope, err error) {
	defer e.observe(set, key.Kind, OpRotate, time.Now(), &err)
	if newCFID == "" {
		newCFID = NewCFID()
	} else if !ValidCFID(newCFID) || newCFID == key.CFID {
		return nil, Errorf(EInvalid, "the new cfid %q is not a fresh cfid: give a UUID other than the old one, or none", newCFID)
	}
	t, err := e.target(ctx, set, key.Kind)
	if err != nil {
		return nil, err
	}
	now := e.now()
	tk, ent := e.hold(t, key)
	defer e.release(tk, ent, now)
	old, found, err := e.base(ctx, t, ent, key, now)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, notFound(key)
	}
	if old.RotatedTo != "" {
		return nil, rotated(key, old.RotatedTo)
	}
	next := visit(Record{Key: Key{App: key.App, Kind: key.Kind, CFID: newCFID}, CFToken: "0", TimeCreated: now, Version: 1, Data: old.Data}, t.ss, now)
	next.Rev = NewRev()
	if t.holder != nil {
		if err := e.admitMemory(t, key.App, HeldBytes(next)); err != nil {
			return nil, err
		}
	}
	res, err := e.write(ctx, t, next, ExpectAbsent, now)
	if err != nil {
		return nil, err
	}
	if !res.Written {
		return nil, Errorf(EPreconditionFailed, "a session with cfid %s exists: rotate to another cfid, or to none", newCFID)
	}
	next = res.Rec
	for attempt := 1; ; attempt++ {
		marked, err := e.markRotated(ctx, t, old, newCFID, now)
		if err != nil {
			// The new session stays, unused, until it expires.
			ent.ok = false
			return nil, err
		}
		if marked.Written {
			ent.rec, ent.ok = marked.Rec, t.copies && e.RotateGrace > 0
			if e.Ends != nil && serverSide(t.name) {
				// Before the grace ends: the old cfid's expiry is then
				// not taken for the session's end.
				e.Ends.Rotated(ctx, set, key, newCFID)
			}
			return NewScope(&next, t.name), nil
		}
		old = marked.Rec
		ent.rec, ent.ok = old, marked.Found && t.copies
		if !marked.Found || old.RotatedTo != "" || attempt >= e.writeAttempts() {
			e.dropRotated(ctx, t, next.Key)
			if !marked.Found {
				return nil, notFound(key)
			} else if old.RotatedTo != "" {
				return nil, rotated(key, old.RotatedTo)
			}
			return nil, Errorf(EConflict, "the session %s changed under %d attempts to rotate it; try again", key.CFID, attempt)
		}
		// A change reached the old cfid after it was copied: copy again.
		copied := next
		copied.Data, copied.Rev = old.Data, NewRev()
		res, err := e.write(ctx, t, copied, next.Rev, now)
		if err != nil {
			return nil, err
		}
		if !res.Written {
			return nil, Errorf(EConflict, "the new session %s changed while session %s was rotated to it; try again", newCFID, key.CFID)
		}
		next = res.Rec
	}
}

// markRotated writes old as the rotated record of a session moved to
// newCFID, read-only until the grace ends, with a compare-and-set on old's
// Rev. With no grace the marked record is then deleted: the mark first, so
// that a change that reached the old cfid is either copied or refused; a
// failed delete leaves the mark, which lapses within a second.
func (e *Engine) markRotated(ctx context.Context, t target, old Record, newCFID string, now time.Time) (WriteResult, error) {
	m := old
	m.RotatedTo, m.Rev, m.Version = newCFID, NewRev(), old.Version+1
	if end := now.Add(max(e.RotateGrace, time.Second)); end.Before(m.Expires) {
		m.Expires = end
	}
	res, err := e.write(ctx, t, m, old.Rev, now)
	if err == nil && res.Written && e.RotateGrace <= 0 {
		if _, derr := e.delete(ctx, t, old.Key); derr != nil {
			// The rotation stands: the mark refuses changes and lapses
			// within a second.
			e.Logger.Warn("rotate: the old cfid stays read-only for a second; its delete failed",
				"app", old.App, "cfid", old.CFID, "err", derr)
		}
	}
	return res, err
}

// dropRotated deletes a new session that a rotation could not complete.
func (e *Engine) dropRotated(ctx context.Context, t target, key Key) {
	if _, err := e.delete(ctx, t, key); err != nil {
		e.Logger.Warn("delete the new session of a rotation that did not complete; it expires unused", "cfid", key.CFID, "err", err)
	}
}
