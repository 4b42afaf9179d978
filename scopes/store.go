package scopes

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Store is a storage of scope instances: memory, file, or a connection.
// Implementations are safe for concurrent use. "Not found" is a value (found
// false), never an error; a stored value that cannot be decoded is an *Error
// with code ECorrupt; any other error means the storage failed.
type Store interface {
	// Load returns the record under key; found is false when there is none
	// or when it expired at now.
	Load(ctx context.Context, key Key, now time.Time) (rec Record, found bool, err error)
	// Write writes rec under its key, in one round trip where the storage
	// allows, if the live record stored there matches expect: ExpectAbsent
	// (no live record: a create), ExpectAny (whatever is there: an
	// overwrite), or the Rev of the record the caller based rec on (a
	// compare-and-set). rec.Rev must be new (NewRev): it is the write's id.
	// When the stored record does not match, nothing is written and the
	// result carries the live record found (Found false when none), so that
	// the caller can apply its change again without another read.
	//
	// A Write that fails with an error other than an *Error may or may not
	// have been applied. Calling Write again with the same rec resolves it:
	// a store reports Written when either call applied it and applies it at
	// most once (see each store's doc for how long it remembers a write).
	Write(ctx context.Context, rec Record, expect string, now time.Time) (WriteResult, error)
	// Delete removes the record under key; found is false when there was none.
	Delete(ctx context.Context, key Key) (found bool, err error)
	// List returns up to limit unexpired records of an app's scopes of one
	// kind, in cfid order, starting after the cfid after ("" for the first
	// page), without reading the others.
	List(ctx context.Context, app string, kind Kind, after string, limit int, now time.Time) ([]Record, error)
	// Count returns the number of unexpired scope instances of an app's
	// scopes of one kind at now, without reading them. exact is false when
	// the store can only estimate, because what it counts (an index, in
	// Redis) still holds scopes that expired until DeleteExpired prunes
	// them: an estimate is never below the live count, but for a write that
	// failed halfway, and is the live count while nothing of the app's kind
	// has expired and again once DeleteExpired has removed what had.
	Count(ctx context.Context, app string, kind Kind, now time.Time) (n int64, exact bool, err error)
	// DeleteExpired deletes up to limit records that expired at now and
	// returns the keys of those it deleted, so that their apps can be told
	// (see Notifier). A store whose entries expire by themselves (Redis)
	// returns those it finds gone, once. On an error it returns the keys
	// it deleted before the failure.
	DeleteExpired(ctx context.Context, now time.Time, limit int) ([]Key, error)
	// Ping checks that the storage answers.
	Ping(ctx context.Context) error
	// Close releases the storage's resources.
	Close() error
}

// The expectations of Store.Write other than a record's Rev.
const (
	// ExpectAbsent writes only where no live record is stored.
	ExpectAbsent = ""
	// ExpectAny writes whatever is stored.
	ExpectAny = "*"
)

// WriteResult is what Store.Write did.
type WriteResult struct {
	// Written is true when the record was written (now or by an earlier
	// call with the same Rev); Rec is then the record as stored, its times
	// cut to the milliseconds that storages keep.
	Written bool
	// Rec is the record written, or, when Written is false, the live
	// record found in its place; Found is false when there was none.
	Rec   Record
	Found bool
}

// Storages resolves storage names to stores.
type Storages interface {
	// Store returns the store of a storage name (canonical, see
	// NormalizeStorage); an unknown name is an *Error with EInvalidSettings.
	Store(ctx context.Context, name string) (Store, error)
	// Names lists the storages a scope of kind k may use.
	Names(ctx context.Context, k Kind) ([]string, error)
	// Open returns the stores opened so far, by name, for health checks and
	// the cleaner.
	Open() map[string]Store
}

// Verifier is a store that can check, step by step, that it has what
// storage needs (reachability, the rights to create, write, read and delete),
// for `connection verify` and the admin's Verify button.
type Verifier interface {
	// Verify runs each check and reports it; a nil Err means it passed.
	Verify(ctx context.Context) []Health
}

// Matches tells whether the stored record cur (found false when there is no
// live one) meets a Write's expect; stores that compare in Go use it.
func Matches(expect string, cur Record, found bool) bool {
	switch expect {
	case ExpectAny:
		return true
	case ExpectAbsent:
		return !found
	}
	return found && cur.Rev == expect
}

// Announcer is a Store that can tell the other instances of scopestore
// about a write, so that those which keep a copy of the scope
// (cluster = false) drop it and read the storage again, rather than serve a
// stale copy until their idle time ends.
type Announcer interface {
	// WriteAnnounced is Write that also announces the write, when applied,
	// to the instances that Watch.
	WriteAnnounced(ctx context.Context, rec Record, expect string, now time.Time) (WriteResult, error)
	// Watch calls changed with the key of every write that another instance
	// announces, from a goroutine of its own, until the store is closed.
	// Messages may be lost while the storage is unreachable.
	Watch(changed func(Key))
}

// KnownLoader is a Store whose Load checks the data it reads as JSON: given
// the data of the copy the caller holds of the record, which was checked
// when it was read or written, it skips the check of stored data that is
// the same bytes, and shares them.
type KnownLoader interface {
	// LoadKnown is Load, told known, the caller's copy of the data.
	LoadKnown(ctx context.Context, key Key, now time.Time, known json.RawMessage) (rec Record, found bool, err error)
}

// Changer is a Store that can change a stored record in place, in one round
// trip, without the caller reading it first: a visit, a touch, or a save of
// new data. The engine uses it where it holds no copy to write from.
type Changer interface {
	// Change applies c to the live record under key at now and returns the
	// record as written. found is false when there is no live record;
	// ok is false, with found true and the stored record, when
	// c.IfVersion is set and the stored version differs. A store that cannot
	// change this record in place (one not in its usual form) returns an
	// error wrapping ErrUnchangeable, and the engine reads and writes it.
	// Sent again with the same c.Rev, a change is recognised, as a Write is.
	Change(ctx context.Context, key Key, c Change, now time.Time) (rec Record, found, ok bool, err error)
}

// Change is what Changer.Change does to a stored record.
type Change struct {
	// Rev is the write's new rev.
	Rev string
	// Data, when not nil, replaces the data, and the version goes up by one.
	Data json.RawMessage
	// Patch, when not nil, is applied to the data as Patch.Apply does, and
	// the version goes up by one; a store that cannot apply it so returns
	// ErrUnchangeable. The patched data may not exceed MaxSize bytes (0: no
	// limit): over it, Change fails with ETooLarge and changes nothing.
	Patch   *Patch
	MaxSize int
	// IfVersion, when not 0, is the version the record must have.
	IfVersion int64
	// LastVisit and Expires are the visit's; Hit counts it in HitCount.
	LastVisit, Expires time.Time
	Hit                bool
}

// ErrUnchangeable is wrapped by Changer.Change for a record that it
// cannot change in place.
var ErrUnchangeable = errors.New("the stored record cannot be changed in place")
