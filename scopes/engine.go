package scopes

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Engine defaults.
const (
	DefaultIdleTime     = 5 * time.Minute
	DefaultMaxScopeSize = 1 << 20
	// DefaultRotateGrace is how long the old cfid of a rotated session
	// still answers, read-only, naming the new one.
	DefaultRotateGrace = 10 * time.Second
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
	// ResolveTime bounds how long a write whose storage did not answer is
	// sent again to learn whether it was applied (DefaultResolveTime when
	// 0); past it the write is answered as unavailable, its outcome unknown.
	ResolveTime time.Duration
	// WriteAttempts bounds the compare-and-sets a write may lose to other
	// writers of its scope before it is answered with EConflict, not
	// applied (DefaultWriteAttempts when 0).
	WriteAttempts int
	// RotateGrace is how long the old cfid of a rotated session still
	// answers, read-only, with the new cfid (0: it ends at once).
	RotateGrace time.Duration
	// Logger receives storage failures with their detail.
	Logger *slog.Logger
	// Observer, when not nil, is told of every operation and cleaner run.
	// Set it before the engine serves.
	Observer Observer
	// Ends, when not nil, is told of the scopes that end, invalidated or
	// expired, and of the sessions rotated to a new cfid, to notify their
	// apps. Set it before the engine serves.
	Ends *Notifier
	// MemoryBudget bounds the bytes this instance holds in memory: the
	// memory storage's scopes and the copies of scopes in other storages
	// (see HeldBytes); copies give way first, then writes to the memory
	// storage that would grow it are refused (0: no budget).
	MemoryBudget int64
	// errors are the recent storage failures, for RecentErrors.
	errors errorRing
	// limits keeps the state of the apps' Limits.
	limits limiter
	// watched holds the Announcers this engine watches.
	watched sync.Map
	// pause, when not nil, replaces the cleaner's wait between two batches
	// (tests).
	pause func(ctx context.Context, d time.Duration)
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
		RotateGrace:  DefaultRotateGrace,
		Logger:       slog.Default(),
	}
}

// MemoryScopes returns how many scopes this instance holds a copy of in
// memory (the memory storage not included): those of cluster = false, and
// with cluster = true the base of the next write after a load.
func (e *Engine) MemoryScopes() int { return e.tier.size() }

// now returns the current time at the millisecond precision that storages keep.
func (e *Engine) now() time.Time { return time.UnixMilli(e.Now().UnixMilli()) }

// target is a scope kind's storage as resolved for one request.
type target struct {
	name  string
	store Store
	// tiered is set for cluster = false: loads read this instance's copy.
	tiered bool
	// copies is set for every storage but memory: this instance keeps the
	// records it read or wrote, as the base of the next write (checked by
	// Rev, so a stale copy costs a retry, never an update).
	copies bool
	ss     ScopeSettings
	// limits are the app's; holder is set for the memory storage.
	limits Limits
	holder MemoryHolder
}

func (e *Engine) target(ctx context.Context, set Settings, k Kind) (target, error) {
	if !k.Stored() {
		return target{}, Errorf(EInvalid, "unknown scope kind %q", k)
	}
	ss := set.Of(k)
	if !ss.Management {
		return target{}, Errorf(EForbidden, "%s management is off for this app; turn on %sManagement in its settings", k, k)
	}
	if k == Session && ss.Storage == StorageCookie {
		return target{}, sessionCookie()
	}
	if k == Session && set.SessionType == SessionTypeJ2EE && ss.Storage != StorageMemory {
		return target{}, Errorf(EInvalidSettings, "sessionType j2ee cannot use storage %q; set sessionType to cfml", ss.Storage)
	}
	st, err := e.storages.Store(ctx, ss.Storage)
	if err != nil {
		return target{}, e.storageError(ss.Storage, err)
	}
	// memory storage is already in memory: a tier in front of it would only
	// copy it. A cookie scope's truth is the token each request carries: a
	// copy kept here would be another visitor's stale view.
	inMemory := ss.Storage == StorageMemory || ss.Storage == StorageCookie
	if a, ok := st.(Announcer); ok && !ss.Cluster {
		e.watch(ss.Storage, a)
	}
	t := target{name: ss.Storage, store: st, tiered: !ss.Cluster && !inMemory, copies: !inMemory, ss: ss, limits: set.Limits}
	if h, ok := st.(MemoryHolder); ok && inMemory {
		t.holder = h
		if e.limits.memory.Load() == nil {
			// A copy of its own, so that only this first time allocates.
			held := h
			e.limits.memory.Store(&held)
		}
	}
	return t, nil
}

// storageError passes *Error values through and turns any other failure into
// EUnavailable naming the storage, logging the detail. A storage that is
// unavailable, however it was said, and a corrupt stored value are
// remembered for RecentErrors.
func (e *Engine) storageError(storage string, err error) error {
	if err == nil {
		return nil
	}
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

// Bounds of a write that lost a race or whose outcome is unknown.
const (
	// DefaultResolveTime is how long a write whose storage did not answer
	// is sent again, the same write, until the storage tells whether it was
	// applied.
	DefaultResolveTime = 30 * time.Second
	// DefaultWriteAttempts bounds how often a change is applied again on a
	// record that another writer changed first; reaching it takes hundreds
	// of writers of one scope at once.
	DefaultWriteAttempts = 1000
)

// hold acquires the tier entry of key for a request on target t; release
// it with e.release(tk, ent, now).
func (e *Engine) hold(t target, key Key) (tierKey, *tierEntry) {
	tk := tierKey{t.name, key}
	ent := e.tier.acquire(tk)
	ent.baseOnly = !t.tiered
	return tk, ent
}

// updateLocked applies fn to the current record of key, through an entry
// the caller holds, and writes what it returns with a compare-and-set on
// the record's Rev (Store.Write). The base is this instance's copy when it
// holds one, else a read of the storage; when the stored record is not the
// base (another instance wrote it), fn runs again on the record the storage
// returned, so that no acknowledged write is lost however many instances
// write the scope. fn must have no side effects.
func (e *Engine) updateLocked(ctx context.Context, t target, ent *tierEntry, key Key, now time.Time, fn func(cur Record, found bool) (Record, error)) (Record, error) {
	cur, found, err := e.base(ctx, t, ent, key, now)
	if err != nil {
		return Record{}, err
	}
	for attempt := 1; ; attempt++ {
		next, err := fn(cur, found)
		if err != nil {
			return Record{}, err
		}
		next.Key, next.Rev = key, NewRev()
		expect := ExpectAbsent
		if found {
			expect = cur.Rev
		}
		if t.holder != nil {
			grow := HeldBytes(next)
			if found {
				grow -= HeldBytes(cur)
			}
			if err := e.admitMemory(t, key.App, grow); err != nil {
				return Record{}, err
			}
		}
		res, err := e.write(ctx, t, next, expect, now)
		if err != nil {
			// The stored state is unknown: the next request reads the storage.
			ent.ok = false
			return Record{}, err
		}
		if res.Written {
			ent.rec, ent.ok = res.Rec, t.copies
			return res.Rec, nil
		}
		cur, found = res.Rec, res.Found
		ent.rec, ent.ok = cur, found && t.copies
		if attempt >= e.writeAttempts() {
			return Record{}, Errorf(EConflict, "the %s scope %s changed under %d attempts to write it; try again", key.Kind, key.CFID, attempt)
		}
		if err := pause(ctx, attempt); err != nil {
			return Record{}, e.storageError(t.name, err)
		}
	}
}

// base returns the record a write starts from: the copy a locked entry
// holds, or the stored record, which the entry then keeps.
func (e *Engine) base(ctx context.Context, t target, ent *tierEntry, key Key, now time.Time) (Record, bool, error) {
	if ent.stale.Swap(false) {
		ent.ok = false
	}
	if ent.ok && t.copies {
		if ent.rec.Expired(now) {
			ent.ok = false
			return Record{Key: key}, false, nil
		}
		return ent.rec, true, nil
	}
	rec, found, err := e.read(ctx, t, ent, key, now)
	if err != nil {
		return Record{}, false, e.storageError(t.name, err)
	}
	if !found {
		return Record{Key: key}, false, nil
	}
	ent.rec, ent.ok = rec, t.copies
	return rec, true, nil
}

// read loads key from the storage. A KnownLoader is given the data of the
// record the entry last held, stale or not: most loads find the same bytes
// stored, which then need no second check.
func (e *Engine) read(ctx context.Context, t target, ent *tierEntry, key Key, now time.Time) (Record, bool, error) {
	if kl, ok := t.store.(KnownLoader); ok && ent.rec.Key == key {
		return kl.LoadKnown(ctx, key, now, ent.rec.Data)
	}
	return t.store.Load(ctx, key, now)
}

// write is Store.Write that resolves an unknown outcome: when the storage
// fails without saying whether it applied the write (a timeout, a broken
// connection), the same write, with the same Rev, is sent again until the
// storage answers, which tells whether the first one was applied and never
// applies it twice. It gives up after ResolveTime or when ctx ends.
func (e *Engine) write(ctx context.Context, t target, rec Record, expect string, now time.Time) (WriteResult, error) {
	write := t.store.Write
	if a, ok := t.store.(Announcer); ok && t.tiered {
		// Other instances' copies of the scope are stale once this write lands.
		write = a.WriteAnnounced
	}
	var res WriteResult
	err := e.resolve(ctx, t.name, rec.Key, func() (err error) {
		res, err = write(ctx, rec, expect, now)
		return err
	})
	return res, err
}

// resolve runs send, a write to a storage, and when it fails with an
// unknown outcome runs it again — the same write, which the storage
// recognises — until the storage answers, for up to ResolveTime or until
// ctx ends.
func (e *Engine) resolve(ctx context.Context, storage string, key Key, send func() error) error {
	err := send()
	if !outcomeUnknown(err) {
		return e.storageError(storage, err)
	}
	first, start := err, time.Now()
	resolved := false
	if e.Observer != nil {
		defer func() { e.Observer.ObserveResend(storage, resolved) }()
	}
	for attempt := 1; ; attempt++ {
		e.Logger.Warn("storage write failed with an unknown outcome; sending it again to learn it",
			"storage", storage, "app", key.App, "kind", key.Kind, "cfid", key.CFID, "attempt", attempt, "err", err)
		if time.Since(start) >= e.resolveTime() {
			return e.unresolved(storage, first)
		}
		if err := pause(ctx, min(10*attempt, 100)); err != nil {
			return e.unresolved(storage, first)
		}
		// A resend that fails in any way, even before it was sent, leaves
		// the first one's outcome unknown still.
		if err = send(); err == nil {
			e.Logger.Info("storage write resolved", "storage", storage, "app", key.App, "kind", key.Kind, "cfid", key.CFID, "attempts", attempt+1)
			resolved = true
			return nil
		}
		if ErrorCode(err) != EInternal {
			resolved = true
			return e.storageError(storage, err)
		}
	}
}

// changeInPlace applies c to key with the storage's Changer, in one round
// trip and with no compare-and-set to lose, when the storage has one and
// the scope's settings say cluster = true (with cluster = false the write
// goes from this instance's copy, announced); handled is false when the
// caller must read and write instead.
func (e *Engine) changeInPlace(ctx context.Context, t target, ent *tierEntry, key Key, c Change, now time.Time) (rec Record, handled bool, err error) {
	ch, ok := t.store.(Changer)
	if !ok || t.tiered {
		return Record{}, false, nil
	}
	c.Rev = NewRev()
	var found, matched bool
	err = e.resolve(ctx, t.name, key, func() (err error) {
		rec, found, matched, err = ch.Change(ctx, key, c, now)
		return err
	})
	switch {
	case errors.Is(err, ErrUnchangeable):
		return Record{}, false, nil
	case err != nil:
		ent.ok = false
		return Record{}, true, err
	case !found:
		ent.ok = false
		return Record{}, true, notFound(key)
	case !matched:
		ent.rec, ent.ok = rec, t.copies
		return Record{}, true, Errorf(EPreconditionFailed, "the scope is at version %d, not %d: load it again and reapply the change", rec.Version, c.IfVersion)
	}
	ent.rec, ent.ok = rec, t.copies
	return rec, true, nil
}

// ErrNotApplied marks a storage failure known to have applied nothing: the
// write was never sent (no connection could be had), or the storage
// answered that it failed (a statement's error, rolled back). Such a write
// is not sent again; stores wrap their errors with it.
var ErrNotApplied = errors.New("the write was not applied")

// outcomeUnknown tells whether a write that failed with err may have been
// applied: a storage failure that the store did not mark ErrNotApplied.
// Only the store can tell: a driver that retries may report a refused
// connection for a write whose first attempt was applied.
func outcomeUnknown(err error) bool {
	// ErrUnchangeable is an answer: the store changed nothing.
	return ErrorCode(err) == EInternal && !errors.Is(err, ErrNotApplied) && !errors.Is(err, ErrUnchangeable)
}

// unresolved is the error of a write whose outcome the storage never told.
func (e *Engine) unresolved(storage string, err error) error {
	e.Logger.Error("storage write outcome unknown", "storage", storage, "err", err)
	se := &Error{Code: EUnavailable, Err: err, Message: "storage " + quote(storage) +
		" did not answer, so the write may or may not have been applied; load the scope to see, and try again shortly"}
	e.recordError(storage, se)
	return se
}

// watch starts, once per store, dropping the copies of the scopes whose
// writes other instances announce.
func (e *Engine) watch(name string, a Announcer) {
	if _, seen := e.watched.LoadOrStore(a, true); seen {
		return
	}
	a.Watch(func(key Key) { e.tier.markStale(tierKey{name, key}) })
}

func (e *Engine) writeAttempts() int {
	if e.WriteAttempts > 0 {
		return e.WriteAttempts
	}
	return DefaultWriteAttempts
}

func (e *Engine) resolveTime() time.Duration {
	if e.ResolveTime > 0 {
		return e.ResolveTime
	}
	return DefaultResolveTime
}

// pause waits a random time that grows with attempt, up to attempt
// milliseconds (at most 100), so that writers who lost a race spread out.
func pause(ctx context.Context, attempt int) error {
	limit := time.Duration(min(attempt, 100)) * time.Millisecond
	t := time.NewTimer(rand.N(limit) + time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
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
