package web

import (
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// TestBodyBudget: large bodies in flight are bounded together, a body of
// unknown length counts as the largest allowed, a small body never waits,
// and room comes back when a body is done.
func TestBodyBudget(t *testing.T) {
	b := newBodyBudget()
	const max = 1 << 20
	var releases []func()
	for i := 0; i < InFlightBodyBudget/max; i++ {
		release, err := b.take(max, max)
		if err != nil {
			t.Fatalf("body %d of %d: %v", i+1, InFlightBodyBudget/max, err)
		}
		releases = append(releases, release)
	}
	if _, err := b.take(max, max); scopes.ErrorCode(err) != scopes.EUnavailable {
		t.Fatalf("a body over the budget: %v; want unavailable", err)
	}
	if _, err := b.take(-1, max); err == nil {
		t.Fatal("a body of unknown length over the budget was let through")
	}
	small, err := b.take(1000, max)
	if err != nil {
		t.Fatalf("a small body waited for the budget: %v", err)
	}
	small()
	releases[0]()
	release, err := b.take(-1, max)
	if err != nil {
		t.Fatalf("after one body was done: %v", err)
	}
	release()
}
