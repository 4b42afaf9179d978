package enginetest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// refusingWrites is a store that refuses to write the cfids in refuse, as
// memcached refuses an item over its size limit: with an *Error whose code
// says the record, not the storage, is the trouble.
type refusingWrites struct {
	scopes.Store
	refuse map[string]bool
}

func (s *refusingWrites) Write(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	if s.refuse[rec.CFID] {
		return scopes.WriteResult{}, scopes.Errorf(scopes.ETooLarge, "the item is over the server's limit of 1 MiB")
	}
	return s.Store.Write(ctx, rec, expect, now)
}

// putSessions writes live sessions of shop to st, one per data, and returns
// them in cfid order: the order in which a move handles them.
func putSessions(t *testing.T, st scopes.Store, now time.Time, data ...string) []scopes.Record {
	t.Helper()
	var recs []scopes.Record
	for _, d := range data {
		r := record("shop", scopes.Session, now, now.Add(time.Hour), d)
		r.Rev = scopes.NewRev()
		if _, err := st.Write(context.Background(), r, scopes.ExpectAbsent, now); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(a, b scopes.Record) int { return strings.Compare(a.CFID, b.CFID) })
	return recs
}

// A scope the new storage refuses stays in the old storage as it was,
// counted as failed with the reason kept, and the run goes on with the
// others to the end; a later run, once the new storage takes it, moves it.
func TestEngine_MoveScopesTargetRefusesAWrite(t *testing.T) {
	ctx := context.Background()
	st := newShared(t)
	clk := &fakeClock{now: time.Now()}
	now := clk.Now()
	recs := putSessions(t, st.stores["memory"], now, `{"n":0}`, `{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`)
	refused := recs[2]
	to := &refusingWrites{Store: st.stores["file"], refuse: map[string]bool{refused.CFID: true}}
	st.stores["file"] = to
	e := newEngine(st, clk)
	m := scopes.Move{App: "shop", Kind: scopes.Session, From: "memory", To: "file"}

	run, err := e.MoveScopes(ctx, settings("file", true), m, nil)
	if err != nil || !run.Complete || run.Scanned != 5 || run.Moved != 4 || run.Failed != 1 || run.Expired != 0 || run.Next != recs[4].CFID {
		t.Fatalf("run with one scope refused = %+v, %v; want 4 moved, 1 failed, complete", run, err)
	}
	if want := "session " + refused.CFID + ": the item is over the server's limit of 1 MiB"; run.LastFailure != want {
		t.Errorf("LastFailure = %q, want %q", run.LastFailure, want)
	}
	got, found, err := st.stores["memory"].Load(ctx, refused.Key, now)
	if err != nil || !found || string(got.Data) != string(refused.Data) || got.Version != refused.Version {
		t.Fatalf("the refused scope in the old storage: %+v, found %v, %v; want it as it was", got, found, err)
	}
	if _, found, _ := to.Load(ctx, refused.Key, now); found {
		t.Error("the refused scope is in the new storage")
	}
	for _, r := range recs {
		if r.CFID == refused.CFID {
			continue
		}
		if _, found, err := to.Load(ctx, r.Key, now); err != nil || !found {
			t.Errorf("scope %s was not moved (%v)", r.CFID, err)
		}
		if _, found, _ := st.stores["memory"].Load(ctx, r.Key, now); found {
			t.Errorf("scope %s is still in the old storage", r.CFID)
		}
	}

	// The new storage takes it now: a run from the start moves it alone.
	delete(to.refuse, refused.CFID)
	again, err := e.MoveScopes(ctx, settings("file", true), m, nil)
	if err != nil || !again.Complete || again.Moved != 1 || again.Failed != 0 || again.LastFailure != "" {
		t.Fatalf("the run after = %+v, %v; want the refused scope moved", again, err)
	}
	if got, found, err := to.Load(ctx, refused.Key, now); err != nil || !found || string(got.Data) != string(refused.Data) {
		t.Errorf("the scope once refused, in the new storage: %+v, found %v, %v", got, found, err)
	}
}

// Moved to the memory storage, a scope that would take the app over its
// maxMemory is refused by the engine's own limit, stays in the old storage
// and is counted as failed with the limit named; the others are moved.
func TestEngine_MoveScopesToMemoryOverItsLimit(t *testing.T) {
	ctx := context.Background()
	st := newShared(t)
	clk := &fakeClock{now: time.Now()}
	now := clk.Now()
	big := fmt.Sprintf(`{"s":%q}`, strings.Repeat("x", 19<<10))
	// Three big ones fit in 64 KiB with the small ones, the fourth does not.
	recs := putSessions(t, st.stores["file"], now, big, big, big, big, `{"n":1}`, `{"n":2}`, `{"n":3}`)
	e := newEngine(st, clk)
	run, err := e.MoveScopes(ctx, limited("memory", "0", "64KiB", "0"), scopes.Move{App: "shop", Kind: scopes.Session, From: "file", To: "memory"}, nil)
	if err != nil || !run.Complete || run.Moved != 6 || run.Failed != 1 {
		t.Fatalf("run = %+v, %v; want 6 moved and 1 failed", run, err)
	}
	if !strings.Contains(run.LastFailure, "maxMemory 64KiB") {
		t.Errorf("LastFailure = %q; want the limit named", run.LastFailure)
	}
	left, err := st.stores["file"].List(ctx, "shop", scopes.Session, "", 10, now)
	if err != nil || len(left) != 1 || string(left[0].Data) != big || !strings.Contains(run.LastFailure, left[0].CFID) {
		t.Fatalf("left in the old storage: %d, %v; want the refused big one, named in %q", len(left), err, run.LastFailure)
	}
	if _, found, _ := st.stores["memory"].Load(ctx, left[0].Key, now); found {
		t.Error("the refused scope is in the memory storage")
	}
	if n, _, _ := st.stores["memory"].Count(ctx, "shop", scopes.Session, now); n != int64(len(recs)-1) {
		t.Errorf("%d scopes in memory, want %d", n, len(recs)-1)
	}
}

// A scope that expires while the move runs, after the run read it and
// before it reaches it, is counted as expired meanwhile: nothing is written
// to the new storage, and it is left to the old storage's cleaner.
func TestEngine_MoveScopesExpiredMeanwhile(t *testing.T) {
	for _, tc := range []struct{ from, to string }{{"memory", "file"}, {"file", "memory"}} {
		t.Run(tc.from+"→"+tc.to, func(t *testing.T) {
			ctx := context.Background()
			st := newShared(t)
			clk := &fakeClock{now: time.Now()}
			now := clk.Now()
			// More than a report's worth: the run reports its progress
			// before the 51st scope, and the clock moves on meanwhile.
			data := make([]string, 60)
			for i := range data {
				data[i] = fmt.Sprintf(`{"n":%d}`, i)
			}
			recs := putSessions(t, st.stores[tc.from], now, data...)
			short := []scopes.Record{recs[55], recs[58]}
			for _, r := range short {
				r.Expires, r.Rev = now.Add(time.Minute), scopes.NewRev()
				if _, err := st.stores[tc.from].Write(ctx, r, scopes.ExpectAny, now); err != nil {
					t.Fatal(err)
				}
			}
			e := newEngine(st, clk)
			reports := 0
			run, err := e.MoveScopes(ctx, settings(tc.to, true), scopes.Move{App: "shop", Kind: scopes.Session, From: tc.from, To: tc.to},
				func(scopes.MoveRun) bool {
					if reports++; reports == 1 {
						clk.Advance(2 * time.Minute)
					}
					return true
				})
			if err != nil || !run.Complete || run.Scanned != 60 || run.Moved != 58 || run.Expired != 2 || run.Failed != 0 {
				t.Fatalf("run = %+v, %v; want 58 moved and 2 expired meanwhile", run, err)
			}
			for _, r := range short {
				if _, found, err := st.stores[tc.to].Load(ctx, r.Key, now); err != nil || found {
					t.Errorf("the expired scope %s was written to the new storage (%v)", r.CFID, err)
				}
				if _, found, err := st.stores[tc.from].Load(ctx, r.Key, now); err != nil || !found {
					t.Errorf("the expired scope %s left the old storage, whose cleaner ends it (%v)", r.CFID, err)
				}
			}
			if n, _, _ := st.stores[tc.to].Count(ctx, "shop", scopes.Session, now); n != 58 {
				t.Errorf("%d scopes in the new storage, want 58", n)
			}
		})
	}
}

// vanishingWrites answers the first write of each cfid in vanish as a
// storage does whose live record under that cfid kept the write out and
// was gone when the storage read it back (its cleaner deleted it in
// between: sqlstore's resolve): neither written nor found. The cfid's
// function, if any, runs then.
type vanishingWrites struct {
	scopes.Store
	vanish map[string]func()
}

func (s *vanishingWrites) Write(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	if then, ok := s.vanish[rec.CFID]; ok {
		delete(s.vanish, rec.CFID)
		if then != nil {
			then()
		}
		return scopes.WriteResult{}, nil
	}
	return s.Store.Write(ctx, rec, expect, now)
}

// A live scope that the new storage neither wrote nor held another scope
// for is not counted as expired (the old storage's cleaner would not end
// it: it is live, and after the change no request reads it there): it is
// counted as failed, with the reason, and stays in the old storage, from
// where a later run moves it. One that expired meanwhile is counted so.
func TestEngine_MoveScopesNeitherWrittenNorFound(t *testing.T) {
	ctx := context.Background()
	st := newShared(t)
	clk := &fakeClock{now: time.Now()}
	now := clk.Now()
	recs := putSessions(t, st.stores["memory"], now, `{"n":0}`, `{"n":1}`, `{"n":2}`, `{"n":3}`)
	short := recs[2]
	short.Expires, short.Rev = now.Add(time.Minute), scopes.NewRev()
	if _, err := st.stores["memory"].Write(ctx, short, scopes.ExpectAny, now); err != nil {
		t.Fatal(err)
	}
	to := &vanishingWrites{Store: st.stores["file"], vanish: map[string]func(){
		recs[1].CFID: nil,
		short.CFID:   func() { clk.Advance(2 * time.Minute) },
	}}
	st.stores["file"] = to
	e := newEngine(st, clk)
	m := scopes.Move{App: "shop", Kind: scopes.Session, From: "memory", To: "file"}
	run, err := e.MoveScopes(ctx, settings("file", true), m, nil)
	if err != nil || !run.Complete || run.Moved != 2 || run.Expired != 1 || run.Failed != 1 || !strings.Contains(run.LastFailure, recs[1].CFID) {
		t.Fatalf("run = %+v, %v; want 2 moved, 1 expired and 1 failed, named", run, err)
	}
	if _, found, err := st.stores["memory"].Load(ctx, recs[1].Key, clk.Now()); err != nil || !found {
		t.Fatalf("the live scope left the old storage unmoved (%v)", err)
	}
	again, err := e.MoveScopes(ctx, settings("file", true), m, nil)
	if err != nil || again.Moved != 1 || again.Failed != 0 {
		t.Fatalf("the next run = %+v, %v; want it moved", again, err)
	}
	if got, found, err := to.Load(ctx, recs[1].Key, clk.Now()); err != nil || !found || string(got.Data) != string(recs[1].Data) {
		t.Errorf("in the new storage: %+v, found %v, %v", got, found, err)
	}
}
