package scopes

import (
	"context"
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
	// Save writes rec under its key unconditionally.
	Save(ctx context.Context, rec Record) error
	// Update atomically reads the record under key (found is false when there
	// is none or it expired at now), calls fn with it, and writes the record fn
	// returns; no other write to key can come between the read and the write.
	// An error from fn aborts the update and is returned unchanged. A store
	// that retries on a conflict calls fn again, so fn must have no side effects.
	Update(ctx context.Context, key Key, now time.Time, fn func(cur Record, found bool) (Record, error)) (Record, error)
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
