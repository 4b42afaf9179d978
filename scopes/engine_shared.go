package scopes

import (
	"context"
	"time"
)

// Cond is what a write requires of the stored scope.
type Cond struct {
	// IfVersions, when it holds a version > 0, lists the versions the
	// scope may be at (If-Match); otherwise the write has no such condition.
	IfVersions []int64
	// Fence, when > 0, is the fencing token of the lock the writer holds
	// (Lock.Fence): the write is refused when the scope was written under
	// a greater fence of that lock, which means the writer's lease ran out
	// and another holder took the lock since; the scope keeps the greatest
	// fence written. Fences of different lock names do not compare: fence
	// one scope with one lock name.
	Fence int64
}

// inPlace tells whether a write under c of key may be a store's change in
// place (Changer), which knows neither fences nor the start of a shared
// scope that does not exist yet.
func (c Cond) inPlace(key Key) bool { return c.Fence == 0 && !key.Kind.Shared() }

// checkFence refuses a write under fence (0: none) of a record written
// under a greater one.
func checkFence(cur Record, fence int64) error {
	if fence > 0 && cur.Fence > fence {
		return Errorf(EPreconditionFailed,
			"the %s scope was written under lock fence %d, after this write's %d: the lock's lease ran out and another holder took it; take the lock again, load the scope and reapply the change",
			cur.Kind, cur.Fence, fence)
	}
	return nil
}

// checkSharedWrite refuses a write of the server scope from an app that
// an administrator has not allowed to write it.
func checkSharedWrite(set Settings, key Key) error {
	if key.Kind == Server && !set.ServerScopeWrite {
		return Errorf(EForbidden, "this app may read the server scope but not write it: an administrator allows it with `scopestore app settings APP --%s true` or on the app's page of the console",
			SettingFlag(ServerScopeWrite))
	}
	return nil
}

// LoadShared returns a shared scope, the app's application scope
// (ApplicationKey) or the server scope (ServerKey), starting it empty when
// there is none, as an application starts on its first request. A load
// is a visit: it extends the scope's idle timeout, written at most once a
// tenth of the timeout, as for sessions. A shared scope is always read
// from its storage, so that every instance sees every write.
func (e *Engine) LoadShared(ctx context.Context, set Settings, key Key) (_ *Scope, err error) {
	defer e.observe(set, key.Kind, OpLoad, time.Now(), &err)
	if !key.Kind.Shared() {
		return nil, Errorf(EInvalid, "the %s scope is not a shared scope", key.Kind)
	}
	t, err := e.target(ctx, set, key.Kind)
	if err != nil {
		return nil, err
	}
	now := e.now()
	tk, ent := e.hold(t, key)
	defer e.release(tk, ent, now)
	ent.ok = false
	rec, found, err := e.base(ctx, t, ent, key, now)
	if err != nil {
		return nil, err
	}
	if found && !visitDue(rec, t.ss, now) {
		return NewScope(&rec, t.name), nil
	}
	rec, err = e.updateLocked(ctx, t, ent, key, now, func(cur Record, found bool) (Record, error) {
		if !found {
			cur = Record{Key: key, CFToken: "0", TimeCreated: now, Version: 1, Data: emptyData}
		}
		return visit(cur, t.ss, now), nil
	})
	if err != nil {
		return nil, err
	}
	return NewScope(&rec, t.name), nil
}
