package scopes

import "context"

// MaxMatchScan bounds the scopes that one run of CountMatching or
// InvalidateMatching examines, so that a run over millions of scopes ends
// in bounded time; a run stopped by it says so (MatchRun.Complete false)
// and another run goes on from its Next.
const MaxMatchScan = 100_000

// matchScanStep is how many records one List call of a run examines: the
// run reports its progress after each.
const matchScanStep = 5000

// matchDeleteChunk is how many matches a run deletes between two reports
// of its progress.
const matchDeleteChunk = 50

// MatchRun is what a run of CountMatching or InvalidateMatching has done so
// far, or did.
type MatchRun struct {
	// Scanned is how many live scopes the run examined.
	Scanned int
	// Matched is how many of them the filter kept.
	Matched int
	// Invalidated is how many InvalidateMatching deleted: fewer than
	// Matched when some ended meanwhile (expired, or invalidated by someone
	// else). CountMatching deletes none.
	Invalidated int
	// Complete is true when the run reached the end of the app's scopes
	// (or of the cfid prefix); false when the scan bound or a failure
	// stopped it first.
	Complete bool
	// Next is where a run stopped before the end: a cursor that a next run
	// passes as ListQuery.After to go on.
	Next string
}

// CheckMatchQuery refuses a query that keeps every scope: targeted
// invalidation needs a filter, and "every scope" is InvalidateAll, which
// says so on its own confirmation.
func CheckMatchQuery(q ListQuery) error {
	if q.CFIDPrefix == "" && q.Key == "" && q.Value == "" {
		return Errorf(EInvalid, "a filter is required: a data key and value, a value in any key, or a cfid prefix (to end every scope, invalidate all)")
	}
	if q.Key != "" && q.Value == "" {
		return Errorf(EInvalid, "the filter on key %q has no value: give the value the key holds", truncateText(q.Key, 80))
	}
	return nil
}

// CountMatching counts the live scopes of app's kind k that q's filters
// keep (q.After, q.CFIDPrefix, q.Key, q.Value; q.Limit is ignored),
// examining at most maxScan of them (MaxMatchScan when 0 or above it). It
// reads as List does, so it writes nothing and extends no expiry. On a
// failure, or when ctx ends, it returns what it counted so far with the
// error.
func (e *Engine) CountMatching(ctx context.Context, set Settings, app string, k Kind, q ListQuery, maxScan int) (MatchRun, error) {
	return e.matching(ctx, set, app, k, q, maxScan, false, nil)
}

// InvalidateMatching invalidates the live scopes of app's kind k that q's
// filters keep, each as Delete does (its end is notified with reason
// invalidated, its in-memory copy dropped, its metrics counted), examining
// at most maxScan scopes (MaxMatchScan when 0 or above it). It reads the
// scopes in cfid order, a step at a time, and deletes the step's matches
// before it reads on, so each scope is checked against the filter as it is
// moments before its delete, not as an earlier count saw it: a scope that
// stopped matching since is left alone, and one that began to match is
// invalidated. A scope changed between its read and its delete (a window
// of one step's deletes) is deleted as read. progress, when not nil, is
// called as the run goes (after each read and each few deletes) with the
// run so far, and returns whether to go on: false stops the run between two
// deletes, with Next where a next run would go on. Closing ctx stops it too,
// perhaps in the middle of a delete; on a failure it stops and returns the
// run so far with the error.
func (e *Engine) InvalidateMatching(ctx context.Context, set Settings, app string, k Kind, q ListQuery, maxScan int, progress func(MatchRun) bool) (MatchRun, error) {
	return e.matching(ctx, set, app, k, q, maxScan, true, progress)
}

func (e *Engine) matching(ctx context.Context, set Settings, app string, k Kind, q ListQuery, maxScan int, del bool, progress func(MatchRun) bool) (MatchRun, error) {
	var run MatchRun
	goOn := func() bool { return progress == nil || progress(run) }
	if err := CheckMatchQuery(q); err != nil {
		return run, err
	}
	if maxScan <= 0 || maxScan > MaxMatchScan {
		maxScan = MaxMatchScan
	}
	q.Limit = MaxListLimit
	for {
		q.MaxScan = min(matchScanStep, maxScan-run.Scanned)
		// List examines at least Limit records a call; the bound's last step
		// may be smaller than that.
		q.Limit = min(MaxListLimit, q.MaxScan)
		page, err := e.List(ctx, set, app, k, q)
		if err != nil {
			return run, err
		}
		run.Scanned += page.Scanned
		run.Matched += len(page.Scopes)
		if del && len(page.Scopes) > 0 && !goOn() {
			run.Next = q.After
			return run, nil
		}
		for del && len(page.Scopes) > 0 {
			// A chunk at a time, so that the progress moves during a step.
			chunk := page.Scopes[:min(len(page.Scopes), matchDeleteChunk)]
			page.Scopes = page.Scopes[len(chunk):]
			n, err := e.deleteScopes(ctx, set, app, k, chunk)
			run.Invalidated += n
			if err != nil {
				run.Next = q.After
				return run, err
			}
			if len(page.Scopes) > 0 && !goOn() {
				run.Next = q.After
				return run, nil
			}
		}
		q.After = page.Next
		switch {
		case page.Next == "":
			run.Complete = true
		case run.Scanned >= maxScan:
			run.Next = page.Next
		}
		if !goOn() && !run.Complete && run.Next == "" {
			run.Next = page.Next
		}
		if run.Complete || run.Next != "" {
			return run, nil
		}
		if err := ctx.Err(); err != nil {
			run.Next = q.After
			return run, err
		}
	}
}

// deleteScopes deletes the scopes listed, invalidateWorkers at a time, as
// deleteEach does.
func (e *Engine) deleteScopes(ctx context.Context, set Settings, app string, k Kind, scs []*Scope) (int, error) {
	recs := make([]Record, len(scs))
	for i, sc := range scs {
		recs[i].Key = Key{App: app, Kind: k, CFID: sc.CFID}
	}
	return e.deleteEach(ctx, set, recs)
}

// InvalidateKeys invalidates the scopes named, each as Delete does, a few
// at once, for an operator's selection. It returns how many it invalidated;
// one that is gone already is no failure and is not counted. On a failure
// it stops and returns the count so far with the error.
func (e *Engine) InvalidateKeys(ctx context.Context, set Settings, keys []Key) (int, error) {
	recs := make([]Record, len(keys))
	for i, key := range keys {
		recs[i].Key = key
	}
	return e.deleteEach(ctx, set, recs)
}
