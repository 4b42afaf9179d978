package web

import (
	"golang.org/x/sync/semaphore"

	"github.com/scopestore/scopestore/scopes"
)

// Large bodies read at once cost memory several times their size (the
// body, its compact copy, the stored record): 300 saves of 1 MiB in
// parallel took 534 MB. The bytes of large bodies in flight are bounded;
// a small body never waits for them.
const (
	// InFlightBodyBudget bounds the bytes of large bodies being handled at once.
	InFlightBodyBudget = 128 << 20
	// largeBody is the size from which a body counts against the budget.
	largeBody = 64 << 10
)

// bodyBudget holds the bytes of large bodies in flight.
type bodyBudget struct{ sem *semaphore.Weighted }

func newBodyBudget() bodyBudget { return bodyBudget{sem: semaphore.NewWeighted(InFlightBodyBudget)} }

// take reserves room for a body of length bytes (-1: unknown, counted as
// the largest allowed, max) and returns what to give back; a body that does
// not fit now is refused with 503 and Retry-After rather than queued, so
// that memory stays bounded whatever arrives.
func (b bodyBudget) take(length, max int64) (release func(), err error) {
	if length >= 0 && length < largeBody {
		return func() {}, nil
	}
	n := min(max, InFlightBodyBudget)
	if length >= 0 {
		n = min(length, n)
	}
	if !b.sem.TryAcquire(n) {
		return nil, scopes.Errorf(scopes.EUnavailable, "this instance is reading too many large request bodies at once; try again shortly")
	}
	return func() { b.sem.Release(n) }, nil
}
