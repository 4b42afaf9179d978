package scopes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// LockType is how a named lock is held: like cflock, many readonly holders
// at once or one exclusive holder.
type LockType string

// The lock types.
const (
	LockExclusive LockType = "exclusive"
	LockReadonly  LockType = "readonly"
)

// Bounds of a lock request. A wait ties up a request and a connection for
// its length, so it is short, and well within the server's write timeout
// (a minute); a lease outlives a request by design but must end, so that a
// lock whose holder vanished comes free again.
const (
	MaxLockWait      = 30 * time.Second
	MinLockLease     = time.Second
	MaxLockLease     = 10 * time.Minute
	DefaultLockLease = 30 * time.Second
	// MaxLockName is the longest lock name, in characters.
	MaxLockName = 200
	// LockTokenSize is the length of a lock token.
	LockTokenSize = 43
)

// LockWriterMark is how long a waiting exclusive request keeps new
// readonly requests out after its last attempt: it tries again at least
// every lockBackoffMax, so the mark lasts while it waits and lapses soon
// after the waiter gives up or vanishes.
const LockWriterMark = time.Second

// The backoff of a waiting request between attempts, in the storages that
// cannot tell when a lock is released (SQL), and as a fallback where they
// can (a lost pub/sub message, a lease that ran out).
const (
	lockBackoffMin = 10 * time.Millisecond
	lockBackoffMax = 200 * time.Millisecond
)

// LockRequest is one attempt to take a lock, as a Locker sees it.
type LockRequest struct {
	Name string
	Type LockType
	// Token identifies the holder: NewLockToken, new for each request.
	Token string
	Lease time.Duration
	// Waiting tells that the caller will try again when the lock is held.
	// An exclusive request that waits keeps new readonly requests out
	// (for LockWriterMark after each attempt), so that a stream of readers
	// cannot starve it.
	Waiting bool
}

// Lock is a lock taken.
type Lock struct {
	Name  string   `json:"-"`
	Type  LockType `json:"type"`
	Token string   `json:"token"`
	// Fence grows with every lock taken of (app, name), across instances:
	// a storage that records the highest fence it saw can refuse a write
	// from a holder whose lease ran out while another took the lock.
	Fence   int64     `json:"fence"`
	Expires time.Time `json:"expires"`
}

// LockHolder describes who holds a lock that a request could not take.
type LockHolder struct {
	Type LockType
	// Since is when the holder (the oldest, of readonly holders that the
	// storage can tell apart) took it; zero when unknown.
	Since time.Time
	// Holders counts the readonly holders; 0 when the storage cannot tell.
	Holders int
	// WriterWaiting is set when a readonly request was held back only
	// because an exclusive request waits.
	WriterWaiting bool
}

// Locker is a storage that can hold named locks for the instances that
// share it. Implementations are safe for concurrent use and never wait for
// a lock themselves: Locks does the waiting.
type Locker interface {
	// TryLock takes the lock req names in app's namespace if it is free at
	// now, once; ok is false, with the holder, when it is not.
	TryLock(ctx context.Context, app string, req LockRequest, now time.Time) (lock Lock, holder LockHolder, ok bool, err error)
	// Renew extends the lease of the holder token to now+lease; ok is false
	// when token holds no live lease on the lock.
	Renew(ctx context.Context, app, name, token string, lease time.Duration, now time.Time) (expires time.Time, ok bool, err error)
	// Unlock releases the holder token's lease; ok is false when token
	// holds no live lease on the lock.
	Unlock(ctx context.Context, app, name, token string, now time.Time) (ok bool, err error)
}

// LockWatcher is a Locker that can tell waiters when a lock may have come
// free, so that they need not poll the storage.
type LockWatcher interface {
	// WatchLock returns a channel that receives a value when (app, name)
	// may have been released, by any instance, and a function that stops
	// the watch. Signals may be lost (a broken connection): waiters still
	// try again after a bounded backoff.
	WatchLock(app, name string) (released <-chan struct{}, stop func())
}

// NewLockToken returns a new holder token: the time it was made, in
// milliseconds in base 36 (so that a holder's age can be told from its
// token in any storage), a dash, and 128 random bits in hex, padded to
// LockTokenSize.
func NewLockToken(now time.Time) string {
	var b [16]byte
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+).
	_, _ = rand.Read(b[:])
	ms := strconv.FormatInt(now.UnixMilli(), 36)
	pad := LockTokenSize - 1 - len(ms) - 2*len(b)
	if pad < 0 {
		pad = 0
	}
	return strings.Repeat("0", pad) + ms + "-" + hex.EncodeToString(b[:])
}

// LockTokenSince returns when the token was made; zero for a token that is
// not one of NewLockToken's.
func LockTokenSince(token string) time.Time {
	ms, _, ok := strings.Cut(token, "-")
	if !ok {
		return time.Time{}
	}
	n, err := strconv.ParseInt(ms, 36, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// validLockToken tells whether token has NewLockToken's form, so that
// nothing else reaches a storage's keys or statements.
func validLockToken(token string) bool {
	if len(token) != LockTokenSize {
		return false
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

// ValidateLockName checks a lock name: 1 to MaxLockName characters of
// UTF-8 without control characters or slashes. "session:{cfid}" names the
// lock of one session, as cflock scope="session" does; to scopestore it is
// a name like any other.
func ValidateLockName(name string) error {
	if name == "" {
		return Errorf(EInvalid, "a lock name is required")
	}
	if !utf8.ValidString(name) {
		return Errorf(EInvalid, "the lock name is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n > MaxLockName {
		return Errorf(EInvalid, "the lock name has %d characters; at most %d are allowed", n, MaxLockName)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '/' {
			return Errorf(EInvalid, "the lock name %q holds a control character or a slash", name)
		}
	}
	return nil
}

// ParseLockType reads a lock type; "" is refused, as a lock whose type was
// forgotten is more likely a mistake than a wish for the default.
func ParseLockType(s string) (LockType, error) {
	switch t := LockType(strings.ToLower(strings.TrimSpace(s))); t {
	case LockExclusive, LockReadonly:
		return t, nil
	}
	return "", Errorf(EInvalid, "lock type %q is neither exclusive nor readonly", s)
}

// ParseLockDuration reads a lock's timeout or lease: a Go duration ("5s",
// "1m30s", "250ms") or a number of seconds ("5", "0.5").
func ParseLockDuration(what, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f <= MaxLockLease.Seconds() {
		return time.Duration(f * float64(time.Second)), nil
	}
	return 0, Errorf(EInvalid, "lock %s %q is not a duration such as 5s, 250ms or 1m", what, s)
}

// LockOptions is a request for a lock, as the API takes it.
type LockOptions struct {
	Name string
	Type LockType
	// Timeout is how long to wait for the lock: 0 tries once.
	Timeout time.Duration
	// Lease is how long the lock is held unless renewed or released.
	Lease time.Duration
}

// Validate checks the options against the bounds, so that bad input is
// refused before any storage is touched.
func (o LockOptions) Validate() error {
	if err := ValidateLockName(o.Name); err != nil {
		return err
	}
	if o.Type != LockExclusive && o.Type != LockReadonly {
		return Errorf(EInvalid, "lock type %q is neither exclusive nor readonly", o.Type)
	}
	if o.Timeout < 0 || o.Timeout > MaxLockWait {
		return Errorf(EInvalid, "lock timeout %s is out of bounds: 0 (try once) to %s", o.Timeout, MaxLockWait)
	}
	if o.Lease < MinLockLease || o.Lease > MaxLockLease {
		return Errorf(EInvalid, "lock lease %s is out of bounds: %s to %s", o.Lease, MinLockLease, MaxLockLease)
	}
	return nil
}

// validateLease checks the lease of a renewal.
func validateLease(lease time.Duration) error {
	if lease < MinLockLease || lease > MaxLockLease {
		return Errorf(EInvalid, "lock lease %s is out of bounds: %s to %s", lease, MinLockLease, MaxLockLease)
	}
	return nil
}
