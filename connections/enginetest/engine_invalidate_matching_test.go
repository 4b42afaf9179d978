package enginetest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// CountMatching and InvalidateMatching find exactly the scopes a filter
// keeps, stop at their scan bound with a cursor that goes on, report their
// progress as they go, and end the matches as Delete does (the in-memory
// copy of a cluster = false scope too); other scopes, apps and kinds stay.
func TestEngine_InvalidateMatching(t *testing.T) {
	for _, tc := range []struct {
		storage string
		cluster bool
	}{{"memory", true}, {"file", false}} {
		t.Run(tc.storage, func(t *testing.T) {
			ctx := context.Background()
			st, clk := newShared(t), &fakeClock{now: time.Now()}
			e := newEngine(st, clk)
			set := settings(tc.storage, tc.cluster)
			const n = 1200
			var match, others []*scopes.Scope
			for i := range n {
				user := 42
				if i%3 != 0 {
					user = i
				}
				sc, err := e.Create(ctx, set, "shop", scopes.Session, []byte(fmt.Sprintf(`{"userId":%d}`, user)))
				if err != nil {
					t.Fatal(err)
				}
				if user == 42 {
					match = append(match, sc)
				} else {
					others = append(others, sc)
				}
			}
			blog, err := e.Create(ctx, set, "blog", scopes.Session, []byte(`{"userId":42}`))
			if err != nil {
				t.Fatal(err)
			}
			q := scopes.ListQuery{Key: "userid", Value: "42"}

			if _, err := e.CountMatching(ctx, set, "shop", scopes.Session, scopes.ListQuery{}, 0); scopes.ErrorCode(err) != scopes.EInvalid {
				t.Errorf("no filter: %v", err)
			}
			all, err := e.CountMatching(ctx, set, "shop", scopes.Session, q, 0)
			if err != nil || all.Matched != len(match) || all.Scanned != n || !all.Complete || all.Invalidated != 0 {
				t.Fatalf("CountMatching = %+v, %v; want %d matched of %d", all, err, len(match), n)
			}
			// Bounded: 500 examined, then the cursor goes on to the end.
			first, err := e.CountMatching(ctx, set, "shop", scopes.Session, q, 500)
			if err != nil || first.Scanned != 500 || first.Complete || first.Next == "" {
				t.Fatalf("bounded CountMatching = %+v, %v", first, err)
			}
			q2 := q
			q2.After = first.Next
			rest, err := e.CountMatching(ctx, set, "shop", scopes.Session, q2, 0)
			if err != nil || first.Matched+rest.Matched != len(match) || first.Scanned+rest.Scanned != n || !rest.Complete {
				t.Fatalf("the rest = %+v, %v after %+v", rest, err, first)
			}

			// Stopped by its progress callback after the first few deletes: the
			// rest stay, and the next run goes on where it stopped.
			stopped, err := e.InvalidateMatching(ctx, set, "shop", scopes.Session, q, 0, func(r scopes.MatchRun) bool { return r.Invalidated == 0 })
			if err != nil || stopped.Complete || stopped.Invalidated == 0 || stopped.Invalidated >= len(match) {
				t.Fatalf("stopped run = %+v, %v", stopped, err)
			}
			if c, _, _ := e.Count(ctx, set, "shop", scopes.Session); c != int64(n-stopped.Invalidated) {
				t.Errorf("%d left after a stopped run of %d, want %d", c, stopped.Invalidated, n-stopped.Invalidated)
			}

			// Invalidated in bounded runs, each going on where the last stopped.
			invalidated := stopped.Invalidated
			var runs, reports int
			last := 0
			for after := ""; ; runs++ {
				q := q
				q.After = after
				run, err := e.InvalidateMatching(ctx, set, "shop", scopes.Session, q, 450, func(r scopes.MatchRun) bool {
					reports++
					if r.Invalidated < last {
						t.Errorf("progress went back: %d after %d", r.Invalidated, last)
					}
					last = r.Invalidated
					return true
				})
				if err != nil {
					t.Fatal(err)
				}
				last = 0
				invalidated += run.Invalidated
				if run.Complete {
					break
				}
				after = run.Next
			}
			if invalidated != len(match) || runs != 2 || reports == 0 {
				t.Errorf("invalidated %d in %d runs (%d reports), want %d in 3", invalidated, runs+1, reports, len(match))
			}
			for _, sc := range match {
				if _, err := e.Load(ctx, set, key(sc)); scopes.ErrorCode(err) != scopes.ENotFound {
					t.Fatalf("a matching scope is still there: %v", err)
				}
			}
			if c, _, _ := e.Count(ctx, set, "shop", scopes.Session); c != int64(len(others)) {
				t.Errorf("%d left, want %d", c, len(others))
			}
			if _, err := e.Load(ctx, set, scopes.Key{App: "blog", Kind: scopes.Session, CFID: blog.CFID}); err != nil {
				t.Errorf("another app's scope: %v", err)
			}
			keys := []scopes.Key{key(others[0]), key(others[1]), key(match[0])}
			if got, err := e.InvalidateKeys(ctx, set, keys); err != nil || got != 2 {
				t.Errorf("InvalidateKeys = %d, %v; want 2 (one was gone)", got, err)
			}
		})
	}
}
