package scopes

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// emptyData is the data of a new scope.
var emptyData = json.RawMessage("{}")

// Create starts a new scope instance of kind k for app, with data (nil for
// an empty object), written to storage before it returns.
func (e *Engine) Create(ctx context.Context, set Settings, app string, k Kind, data json.RawMessage) (_ *Scope, err error) {
	defer e.observe(set, k, OpCreate, time.Now(), &err)
	key := Key{App: app, Kind: k, CFID: NewCFID()}
	return e.create(ctx, set, key, data, 0, func() error {
		return Errorf(EConflict, "cfid %s is taken; try again", key.CFID)
	})
}

// CreateWithID starts a new scope instance under a cfid the caller chose
// (a valid cfid, see ValidCFID), only when no live scope has it: otherwise
// it fails with EPreconditionFailed and changes nothing.
func (e *Engine) CreateWithID(ctx context.Context, set Settings, key Key, data json.RawMessage) (*Scope, error) {
	return e.CreateFenced(ctx, set, key, data, 0)
}

// CreateFenced is CreateWithID by the holder of a lock whose fence is
// fence (0: none, see Cond.Fence): the new scope keeps it, so that a
// holder whose lease ran out cannot overwrite it.
func (e *Engine) CreateFenced(ctx context.Context, set Settings, key Key, data json.RawMessage, fence int64) (_ *Scope, err error) {
	defer e.observe(set, key.Kind, OpCreate, time.Now(), &err)
	return e.create(ctx, set, key, data, fence, func() error {
		return Errorf(EPreconditionFailed, "a %s with cfid %s exists: load it, or create one without If-None-Match", key.Kind, key.CFID)
	})
}

// create writes a new record under key, answering taken() when the
// storage already holds a live one.
func (e *Engine) create(ctx context.Context, set Settings, key Key, data json.RawMessage, fence int64, taken func() error) (*Scope, error) {
	t, err := e.target(ctx, set, key.Kind)
	if err != nil {
		return nil, err
	}
	if data == nil {
		data = emptyData
	}
	if err := e.checkSize(data); err != nil {
		return nil, err
	}
	now := e.now()
	if err := e.admitCreate(ctx, t, key, now); err != nil {
		return nil, err
	}
	r := visit(Record{Key: key, CFToken: "0", TimeCreated: now, Version: 1, Data: data, Fence: fence}, t.ss, now)
	r.Rev = NewRev()
	if t.holder != nil {
		if err := e.admitMemory(t, key.App, HeldBytes(r)); err != nil {
			return nil, err
		}
	}
	tk, ent := e.hold(t, key)
	// A new cfid has nothing stored: no read before the write.
	ent.ok = false
	defer e.release(tk, ent, now)
	res, err := e.write(ctx, t, r, ExpectAbsent, now)
	if err != nil {
		return nil, err
	}
	if !res.Written {
		return nil, taken()
	}
	// With cluster = true a copy only serves as the base of this
	// instance's next write: one is made by the load that usually precedes
	// it, not for every scope created.
	ent.rec, ent.ok = res.Rec, t.tiered
	return NewScope(&res.Rec, t.name), nil
}

// Load returns a scope instance; loading is a visit that extends its expiry.
func (e *Engine) Load(ctx context.Context, set Settings, key Key) (_ *Scope, err error) {
	defer e.observe(set, key.Kind, OpLoad, time.Now(), &err)
	t, err := e.target(ctx, set, key.Kind)
	if err != nil {
		return nil, err
	}
	now := e.now()
	var rec Record
	if t.tiered {
		rec, err = e.loadTiered(ctx, t, key, now)
	} else {
		rec, err = e.loadStored(ctx, t, key, now)
	}
	if err != nil {
		return nil, err
	}
	return NewScope(&rec, t.name), nil
}

// loadStored reads the storage, as cluster = true wants of every load, and
// keeps the record as the base of this instance's next write.
func (e *Engine) loadStored(ctx context.Context, t target, key Key, now time.Time) (Record, error) {
	if !t.copies && key.Kind == Session {
		// The memory storage keeps no copies: a load that writes nothing
		// needs no entry.
		rec, found, err := t.store.Load(ctx, key, now)
		if err != nil {
			return Record{}, e.storageError(t.name, err)
		}
		if !found {
			return Record{}, notFound(key)
		}
		if !visitDue(rec, t.ss, now) || rec.RotatedTo != "" {
			return rec, nil
		}
	}
	tk, ent := e.hold(t, key)
	defer e.release(tk, ent, now)
	ent.ok = false
	if key.Kind == Client {
		// Every visit of a client scope is written: one change in place
		// where the storage can, no read before it.
		if rec, handled, err := e.changeInPlace(ctx, t, ent, key, visitChange(key, t.ss, now), now); handled {
			return rec, err
		}
	}
	return e.loadLocked(ctx, t, ent, key, now)
}

// loadTiered serves a cluster = false load from this instance's copy, and
// reads the storage only when it holds none.
func (e *Engine) loadTiered(ctx context.Context, t target, key Key, now time.Time) (Record, error) {
	tk, ent := e.hold(t, key)
	defer e.release(tk, ent, now)
	return e.loadLocked(ctx, t, ent, key, now)
}

// loadLocked loads key through a locked entry and writes the visit when one
// is due, as a compare-and-set on the record just read.
func (e *Engine) loadLocked(ctx context.Context, t target, ent *tierEntry, key Key, now time.Time) (Record, error) {
	rec, found, err := e.base(ctx, t, ent, key, now)
	if err != nil {
		return Record{}, err
	}
	if !found {
		return Record{}, notFound(key)
	}
	if !visitDue(rec, t.ss, now) || rec.RotatedTo != "" {
		// The old cfid of a rotated session is read, not visited.
		return rec, nil
	}
	rec, err = e.updateLocked(ctx, t, ent, key, now, visitFn(key, t.ss, now))
	var re *RotatedError
	if errors.As(err, &re) {
		// Rotated since this instance's copy was made: the write read the
		// stored record, which is read, not visited.
		if cur, found, berr := e.base(ctx, t, ent, key, now); berr == nil && found && cur.RotatedTo != "" {
			return cur, nil
		}
	}
	return rec, err
}

// Save replaces a scope's data and bumps its version. A version > 0 in
// ifVersions (an If-Match list) makes the save conditional: it fails with
// EPreconditionFailed when the stored version is none of them, and changes
// nothing; 0 is no condition.
func (e *Engine) Save(ctx context.Context, set Settings, key Key, data json.RawMessage, ifVersions ...int64) (*Scope, error) {
	return e.SaveIf(ctx, set, key, data, Cond{IfVersions: ifVersions})
}

// SaveIf is Save under the conditions of c. A shared scope (application,
// server) that does not exist yet is started by it, with version 1.
func (e *Engine) SaveIf(ctx context.Context, set Settings, key Key, data json.RawMessage, c Cond) (_ *Scope, err error) {
	defer e.observe(set, key.Kind, OpSave, time.Now(), &err)
	if err := checkSharedWrite(set, key); err != nil {
		return nil, err
	}
	if err := e.checkSize(data); err != nil {
		return nil, err
	}
	t, err := e.target(ctx, set, key.Kind)
	if err != nil {
		return nil, err
	}
	now := e.now()
	tk, ent := e.hold(t, key)
	defer e.release(tk, ent, now)
	// As for Patch: with a copy that is likely current (the load that
	// preceded this save read it), a compare-and-set on its rev costs the
	// storage less than a change in place, which reads and rebuilds the
	// stored value; without one, the change in place saves a read.
	// A store's change in place checks one version: a list of them takes
	// the compare-and-set, which checks them on the record it replaces.
	cond := versionsOf(c.IfVersions)
	var inPlace *Change
	if ifVersion, one := cond.single(); !ent.ok && one && c.inPlace(key) {
		ch := visitChange(key, t.ss, now)
		ch.Data, ch.IfVersion = data, ifVersion
		inPlace = &ch
	}
	rec, err := e.changeLocked(ctx, t, ent, key, now, inPlace, changeFn(key, t.ss, now, cond, c.Fence, func(json.RawMessage) (json.RawMessage, error) { return data, nil }))
	if err != nil {
		return nil, err
	}
	return NewScope(&rec, t.name), nil
}

// Patch applies p to a scope's data atomically in its storage and bumps its
// version; ifVersions works as in Save.
func (e *Engine) Patch(ctx context.Context, set Settings, key Key, p Patch, ifVersions ...int64) (*Scope, error) {
	return e.PatchIf(ctx, set, key, p, Cond{IfVersions: ifVersions})
}

// PatchIf is Patch under the conditions of c. A shared scope (application,
// server) that does not exist yet is started by it, with version 1.
func (e *Engine) PatchIf(ctx context.Context, set Settings, key Key, p Patch, c Cond) (_ *Scope, err error) {
	defer e.observe(set, key.Kind, OpPatch, time.Now(), &err)
	if err := checkSharedWrite(set, key); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	t, err := e.target(ctx, set, key.Kind)
	if err != nil {
		return nil, err
	}
	now := e.now()
	tk, ent := e.hold(t, key)
	defer e.release(tk, ent, now)
	// A patch in place costs the storage more work than a compare-and-set
	// from a copy that is likely current (this instance read or wrote the
	// scope just before); without one it saves a read.
	cond := versionsOf(c.IfVersions)
	var inPlace *Change
	if ifVersion, one := cond.single(); !ent.ok && one && c.inPlace(key) {
		ch := visitChange(key, t.ss, now)
		ch.Patch, ch.IfVersion, ch.MaxSize = &p, ifVersion, e.MaxScopeSize
		inPlace = &ch
	}
	rec, err := e.changeLocked(ctx, t, ent, key, now, inPlace, changeFn(key, t.ss, now, cond, c.Fence, func(data json.RawMessage) (json.RawMessage, error) {
		out, err := p.Apply(data)
		if err != nil {
			return nil, err
		}
		return out, e.checkSize(out)
	}))
	if err != nil {
		return nil, err
	}
	return NewScope(&rec, t.name), nil
}

// changeLocked applies a change to key through an entry the caller holds:
// c in place, when it is not nil and the storage can (see changeInPlace),
// else fn on the current record with a compare-and-set (updateLocked).
func (e *Engine) changeLocked(ctx context.Context, t target, ent *tierEntry, key Key, now time.Time, c *Change, fn func(Record, bool) (Record, error)) (Record, error) {
	if c != nil {
		if rec, handled, err := e.changeInPlace(ctx, t, ent, key, *c, now); handled {
			return rec, err
		}
	}
	return e.updateLocked(ctx, t, ent, key, now, fn)
}

// changeFn returns the update that edits a scope's data, checks cond,
// bumps the version and counts the visit. It runs on the record that the
// compare-and-set replaces, so cond holds for what is written over.
func changeFn(key Key, ss ScopeSettings, now time.Time, cond versionCond, fence int64, edit func(json.RawMessage) (json.RawMessage, error)) func(Record, bool) (Record, error) {
	return func(cur Record, found bool) (Record, error) {
		switch {
		case !found && key.Kind.Shared():
			// Version 0 until this first write: If-Match 1 is not met.
			cur = Record{Key: key, CFToken: "0", TimeCreated: now, Data: emptyData}
		case !found:
			return Record{}, notFound(key)
		}
		if cur.RotatedTo != "" {
			return Record{}, rotated(key, cur.RotatedTo)
		}
		if !cond.met(cur.Version) {
			return Record{}, Errorf(EPreconditionFailed, "the scope is at version %d, not %s: load it again and reapply the change", cur.Version, cond)
		}
		if err := checkFence(cur, fence); err != nil {
			return Record{}, err
		}
		cur.Fence = max(cur.Fence, fence)
		data, err := edit(cur.Data)
		if err != nil {
			return Record{}, err
		}
		cur.Data = data
		cur.Version++
		return visit(cur, ss, now), nil
	}
}

// Touch extends a scope's expiry as a visit would, without returning it.
func (e *Engine) Touch(ctx context.Context, set Settings, key Key) (err error) {
	defer e.observe(set, key.Kind, OpTouch, time.Now(), &err)
	t, err := e.target(ctx, set, key.Kind)
	if err != nil {
		return err
	}
	now := e.now()
	tk, ent := e.hold(t, key)
	defer e.release(tk, ent, now)
	c := visitChange(key, t.ss, now)
	_, err = e.changeLocked(ctx, t, ent, key, now, &c, visitFn(key, t.ss, now))
	return err
}

// visitFn returns the update that records a visit at now.
func visitFn(key Key, ss ScopeSettings, now time.Time) func(Record, bool) (Record, error) {
	return func(cur Record, found bool) (Record, error) {
		if !found {
			return Record{}, notFound(key)
		}
		if cur.RotatedTo != "" {
			return Record{}, rotated(key, cur.RotatedTo)
		}
		return visit(cur, ss, now), nil
	}
}

// visitChange is the Change of a visit at now, as visit makes it.
func visitChange(key Key, ss ScopeSettings, now time.Time) Change {
	return Change{LastVisit: now, Expires: now.Add(ss.Timeout), Hit: key.Kind == Client}
}

// Delete invalidates a scope instance.
func (e *Engine) Delete(ctx context.Context, set Settings, key Key) (err error) {
	defer e.observe(set, key.Kind, OpDelete, time.Now(), &err)
	t, err := e.target(ctx, set, key.Kind)
	if err != nil {
		return err
	}
	now := e.now()
	tk, ent := e.hold(t, key)
	defer e.release(tk, ent, now)
	ent.ok = false
	found, err := e.delete(ctx, t, key)
	if err != nil {
		return err
	}
	if !found {
		return notFound(key)
	}
	if e.Ends != nil && serverSide(t.name) {
		// A cookie scope is not ended here but when the app drops its
		// cookie: there is nothing to report.
		e.Ends.Invalidated(ctx, set, key)
	}
	return nil
}

// delete is Store.Delete that resolves an unknown outcome by deleting again
// (see resolve): a delete is idempotent, but once a first attempt may have
// deleted the scope, "not found" can no longer tell whether there was one,
// so the scope counts as found and deleted.
func (e *Engine) delete(ctx context.Context, t target, key Key) (bool, error) {
	var found, resent bool
	err := e.resolve(ctx, t.name, key, func() error {
		f, err := t.store.Delete(ctx, key)
		found = f || resent
		resent = true
		return err
	})
	return found, err
}
