package scopes

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"
)

// Engine defaults.
const (
	DefaultIdleTime     = 5 * time.Minute
	DefaultMaxScopeSize = 1 << 20
)

// Engine applies scopestore's semantics — cluster modes, versions, idle
// expiry, visits — on top of the storages. It is safe for concurrent use.
type Engine struct {
	storages Storages
	tier     *tier
	// Now returns the current time; tests replace it to move time forward.
	Now func() time.Time
	// IdleTime is how long a scope with cluster = false stays in memory unused.
	IdleTime time.Duration
	// MaxScopeSize bounds the bytes of a scope's data.
	MaxScopeSize int
	// Logger receives storage failures with their detail.
	Logger *slog.Logger
	// Observer, when not nil, is told of every operation and cleaner run.
	// Set it before the engine serves.
	Observer Observer
	// Ends, when not nil, is told of the scopes that end, invalidated or
	// expired, to notify their apps. Set it before the engine serves.
	Ends *Notifier
	// errors are the recent storage failures, for RecentErrors.
	errors errorRing
}

// NewEngine returns an engine over storages with the default idle time and
// size limit.
func NewEngine(storages Storages) *Engine {
	return &Engine{
		storages:     storages,
		tier:         newTier(),
		Now:          time.Now,
		IdleTime:     DefaultIdleTime,
		MaxScopeSize: DefaultMaxScopeSize,
		Logger:       slog.Default(),
	}
}

// MemoryScopes returns how many scopes this instance holds in memory as the
// primary copy of a cluster = false scope (the memory storage not included).
func (e *Engine) MemoryScopes() int { return e.tier.size() }

// now returns the current time at the millisecond precision that storages keep.
func (e *Engine) now() time.Time { return time.UnixMilli(e.Now().UnixMilli()) }

// target is a scope kind's storage as resolved for one request.
type target struct {
	name   string
	store  Store
	tiered bool
	ss     ScopeSettings
}

func (e *Engine) target(ctx context.Context, set Settings, k Kind) (target, error) {
	if !k.Valid() {
		return target{}, Errorf(EInvalid, "unknown scope kind %q", k)
	}
	ss := set.Of(k)
	if !ss.Management {
		return target{}, Errorf(EForbidden, "%s management is off for this app; turn on %sManagement in its settings", k, k)
	}
	if k == Session && set.SessionType == SessionTypeJ2EE && ss.Storage != StorageMemory {
		return target{}, Errorf(EInvalidSettings, "sessionType j2ee cannot use storage %q; set sessionType to cfml", ss.Storage)
	}
	st, err := e.storages.Store(ctx, ss.Storage)
	if err != nil {
		return target{}, e.storageError(ss.Storage, err)
	}
	// memory storage is already in memory: a tier in front of it would only copy it.
	return target{name: ss.Storage, store: st, tiered: !ss.Cluster && ss.Storage != StorageMemory, ss: ss}, nil
}

// storageError passes *Error values through and turns any other failure into
// EUnavailable naming the storage, logging the detail. A storage that is
// unavailable, however it was said, and a corrupt stored value are
// remembered for RecentErrors.
func (e *Engine) storageError(storage string, err error) error {
	var se *Error
	switch code := ErrorCode(err); {
	case (code == EUnavailable || code == ECorrupt) && errors.As(err, &se):
		e.recordError(storage, se)
		return err
	case code != EInternal:
		return err
	}
	e.Logger.Error("storage failed", "storage", storage, "err", err)
	se = Unavailable("storage "+quote(storage), err)
	e.recordError(storage, se)
	return se
}

func quote(s string) string { return `"` + s + `"` }

// update runs fn atomically on the current record of key and writes what it
// returns: through the storage's own Update with cluster = true, and on the
// in-memory primary copy, written through with Save, with cluster = false.
func (e *Engine) update(ctx context.Context, t target, key Key, now time.Time, fn func(cur Record, found bool) (Record, error)) (Record, error) {
	if !t.tiered {
		rec, err := t.store.Update(ctx, key, now, fn)
		return rec, e.storageError(t.name, err)
	}
	tk := tierKey{t.name, key}
	ent := e.tier.acquire(tk)
	defer e.tier.release(tk, ent, now)
	cur, found, err := e.tierRead(ctx, t, ent, key, now)
	if err != nil {
		return Record{}, err
	}
	next, err := fn(cur, found)
	if err != nil {
		return Record{}, err
	}
	if err := t.store.Save(ctx, next); err != nil {
		// The stored state is unknown now: forget the copy so the next request reads the storage.
		ent.ok = false
		return Record{}, e.storageError(t.name, err)
	}
	ent.rec, ent.ok = next, true
	return next, nil
}

// tierRead returns the primary copy held by a locked entry, reading the
// storage when the entry holds none.
func (e *Engine) tierRead(ctx context.Context, t target, ent *tierEntry, key Key, now time.Time) (Record, bool, error) {
	if ent.ok {
		if ent.rec.Expired(now) {
			ent.ok = false
			return Record{}, false, nil
		}
		return ent.rec, true, nil
	}
	rec, found, err := t.store.Load(ctx, key, now)
	if err != nil {
		return Record{}, false, e.storageError(t.name, err)
	}
	if found {
		ent.rec, ent.ok = rec, true
	}
	return rec, found, nil
}

// visitDue tells whether a load must write the visit to storage: always for a
// client scope, whose hitcount counts every visit; for a session once a tenth
// of the timeout has passed since the stored visit, so that reads do not
// always cost a write and a session read often never expires while in use.
func visitDue(rec Record, ss ScopeSettings, now time.Time) bool {
	return rec.Kind == Client || now.Sub(rec.LastVisit) >= ss.Timeout/10 || rec.Expires.Sub(now) < ss.Timeout*9/10
}

// visit returns rec as seen at now: lastvisit and expiry moved, one more hit.
func visit(rec Record, ss ScopeSettings, now time.Time) Record {
	rec.LastVisit = now
	rec.Expires = now.Add(ss.Timeout)
	if rec.Kind == Client {
		rec.HitCount++
	}
	return rec
}

func notFound(key Key) error {
	return Errorf(ENotFound, "no %s scope %s for app %s (it expired, was invalidated, or never existed); create a new one", key.Kind, key.CFID, key.App)
}

// checkSize refuses data over the size limit.
func (e *Engine) checkSize(data json.RawMessage) error {
	if e.MaxScopeSize > 0 && len(data) > e.MaxScopeSize {
		return Errorf(ETooLarge, "the scope's data is %d bytes, over the limit of %d bytes", len(data), e.MaxScopeSize)
	}
	return nil
}
