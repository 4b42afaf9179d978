package scopes

import (
	"sync"
	"time"
)

// Bounds of the recent storage failures an engine remembers.
const (
	// RecentErrorsKept is how many failures the ring holds; older ones are
	// forgotten, as the log keeps them all.
	RecentErrorsKept = 50
	// maxErrorText bounds the underlying error's text, so that one driver's
	// long message cannot make the ring large.
	maxErrorText = 500
)

// ErrorEvent is one storage failure as the engine answered it: a storage
// that failed (EUnavailable) or a stored value that could not be decoded
// (ECorrupt).
type ErrorEvent struct {
	// Time is when it last happened; Count is how many times in a row the
	// same failure was recorded, so that a storage down for an hour is one
	// line rather than the whole ring.
	Time  time.Time
	Count int
	// Storage is the name of the storage that failed.
	Storage string
	// Code is EUnavailable or ECorrupt.
	Code string
	// Message is what the caller was told; Cause is the underlying error's
	// text, which only the log and the administrator see.
	Message string
	Cause   string
}

// errorRing holds the most recent ErrorEvents, in this process's memory
// only: it is what one instance saw since it started.
type errorRing struct {
	mu     sync.Mutex
	events []ErrorEvent // oldest first
}

// add records a failure at now, merging it into the newest event when it is
// the same failure again.
func (r *errorRing) add(ev ErrorEvent) {
	if len(ev.Cause) > maxErrorText {
		ev.Cause = ev.Cause[:maxErrorText] + "…"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.events); n > 0 {
		last := &r.events[n-1]
		if last.Storage == ev.Storage && last.Code == ev.Code && last.Message == ev.Message && last.Cause == ev.Cause {
			last.Time = ev.Time
			last.Count++
			return
		}
	}
	ev.Count = 1
	if len(r.events) == RecentErrorsKept {
		copy(r.events, r.events[1:])
		r.events = r.events[:RecentErrorsKept-1]
	}
	r.events = append(r.events, ev)
}

// recent returns a copy of the events, newest first.
func (r *errorRing) recent() []ErrorEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]ErrorEvent, len(r.events))
	for i, ev := range r.events {
		out[len(r.events)-1-i] = ev
	}
	return out
}

// RecentErrors returns the last storage failures this engine answered,
// newest first, at most RecentErrorsKept of them; the slice is the caller's.
func (e *Engine) RecentErrors() []ErrorEvent { return e.errors.recent() }

// recordError remembers a storage failure for RecentErrors.
func (e *Engine) recordError(storage string, err *Error) {
	ev := ErrorEvent{Time: e.Now(), Storage: storage, Code: err.Code, Message: err.Message}
	if err.Err != nil {
		ev.Cause = err.Err.Error()
	}
	e.errors.add(ev)
}
