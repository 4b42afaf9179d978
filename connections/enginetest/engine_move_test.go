package enginetest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// moveScopes is how many live sessions the move tests put in the old storage.
const moveScopes = 250

// MoveScopes moves every live session of an app from the old storage to the
// new one as stored (data, version, times), skips the cfid the new storage
// holds already without overwriting it, finishes the move of a copy an
// interrupted run left, stops when its progress says so and resumes from its
// cursor, leaves other apps and kinds alone, and moves nothing the second
// time. Run from memory and file to file, Redis and MariaDB (a server that is
// not there skips its case).
func TestEngine_MoveScopes(t *testing.T) {
	for _, tc := range []struct{ from, to string }{
		{"memory", "file"},
		{"file", "redis"},
		{"memory", "mysql"},
	} {
		t.Run(tc.from+"→"+tc.to, func(t *testing.T) {
			ctx := context.Background()
			st := newShared(t)
			for _, name := range []string{tc.from, tc.to} {
				if _, ok := st.stores[name]; ok {
					continue
				}
				for _, s := range listStorages {
					if s.name == name {
						st.stores[name] = s.open(t)
					}
				}
			}
			from, to := st.stores[tc.from], st.stores[tc.to]
			clk := &fakeClock{now: time.UnixMilli(time.Now().UnixMilli())}
			e := newEngine(st, clk)
			now := clk.Now()

			// The old storage: shop's sessions, with versions and visits of
			// their own, and scopes that must stay (another app's, a client scope).
			recs := make(map[string]scopes.Record, moveScopes)
			var order []string
			for i := range moveScopes {
				r := record("shop", scopes.Session, now.Add(-time.Duration(i)*time.Second), now.Add(time.Hour+time.Duration(i)*time.Second),
					fmt.Sprintf(`{"n":%d,"cart":["a","b"]}`, i))
				r.LastVisit, r.Version, r.CFToken, r.Rev = now.Add(-time.Minute), int64(i%5+1), fmt.Sprint(1000+i), scopes.NewRev()
				if _, err := from.Write(ctx, r, scopes.ExpectAbsent, now); err != nil {
					t.Fatal(err)
				}
				recs[r.CFID] = r
				order = append(order, r.CFID)
			}
			stay := []scopes.Record{
				record("blog", scopes.Session, now, now.Add(time.Hour), `{"blog":1}`),
				record("shop", scopes.Client, now, now.Add(time.Hour), `{"client":1}`),
			}
			for _, r := range stay {
				r.Rev = scopes.NewRev()
				if _, err := from.Write(ctx, r, scopes.ExpectAbsent, now); err != nil {
					t.Fatal(err)
				}
			}
			// The new storage holds one of shop's cfids already: a visitor
			// who came back after the change and wrote it there.
			taken := recs[order[7]]
			newer := taken
			newer.Data, newer.Version, newer.Rev = []byte(`{"came":"back"}`), 1, scopes.NewRev()
			if _, err := to.Write(ctx, newer, scopes.ExpectAbsent, now); err != nil {
				t.Fatal(err)
			}
			// And a copy of another, as a run that stopped between its write
			// and its delete left it: the next run finishes moving it.
			copied := recs[order[11]]
			copied.Rev = scopes.NewRev()
			if _, err := to.Write(ctx, copied, scopes.ExpectAbsent, now); err != nil {
				t.Fatal(err)
			}

			set := settings(tc.to, true)
			m := scopes.Move{App: "shop", Kind: scopes.Session, From: tc.from, To: tc.to}
			// Stopped by its progress after the first report.
			var reports int
			first, err := e.MoveScopes(ctx, set, m, func(r scopes.MoveRun) bool { reports++; return false })
			if err != nil || first.Complete || first.Moved+first.Skipped == 0 || first.Moved+first.Skipped >= moveScopes || first.Next == "" {
				t.Fatalf("stopped run = %+v, %v", first, err)
			}
			if n, _, _ := from.Count(ctx, "shop", scopes.Session, now); n != int64(moveScopes-first.Moved-first.Skipped) {
				t.Errorf("%d left in the old storage after a stopped run of %+v", n, first)
			}
			// Resumed from its cursor, to the end.
			m.After = first.Next
			var last scopes.MoveRun
			rest, err := e.MoveScopes(ctx, set, m, func(r scopes.MoveRun) bool {
				if r.Moved < last.Moved || r.Scanned < last.Scanned {
					t.Errorf("progress went back: %+v after %+v", r, last)
				}
				last, reports = r, reports+1
				return true
			})
			if err != nil || !rest.Complete {
				t.Fatalf("resumed run = %+v, %v", rest, err)
			}
			total := first.Add(rest)
			if total.Moved != moveScopes-1 || total.Skipped != 1 || total.Failed != 0 || total.Expired != 0 || total.Scanned != moveScopes {
				t.Errorf("the runs together = %+v, want %d moved and 1 skipped", total, moveScopes-1)
			}
			if reports < 3 {
				t.Errorf("%d progress reports for %d scopes", reports, moveScopes)
			}

			// Every scope is in the new storage as it was stored; none is left
			// in the old one; the visitor's newer scope was not overwritten.
			for _, cfid := range order {
				want := recs[cfid]
				if cfid == taken.CFID {
					want = newer
				}
				got, found, err := to.Load(ctx, want.Key, clk.Now())
				if err != nil || !found {
					t.Fatalf("scope %s not in the new storage: %v", cfid, err)
				}
				if !bytes.Equal(got.Data, want.Data) || got.Version != want.Version || got.CFToken != want.CFToken ||
					!got.TimeCreated.Equal(want.TimeCreated) || !got.LastVisit.Equal(want.LastVisit) || !got.Expires.Equal(want.Expires) {
					t.Fatalf("scope %s moved as %+v, want %+v", cfid, got, want)
				}
				if _, found, err := from.Load(ctx, want.Key, clk.Now()); err != nil || found {
					t.Fatalf("scope %s is still in the old storage (%v)", cfid, err)
				}
			}
			for _, r := range stay {
				if _, found, err := from.Load(ctx, r.Key, clk.Now()); err != nil || !found {
					t.Errorf("%s %s of %s left the old storage (%v)", r.Kind, r.CFID, r.App, err)
				}
				if _, found, _ := to.Load(ctx, r.Key, clk.Now()); found {
					t.Errorf("%s %s of %s was moved", r.Kind, r.CFID, r.App)
				}
			}
			// The engine reads them from the new storage.
			if sc, err := e.Peek(ctx, set, recs[order[42]].Key); err != nil || sc.Version != recs[order[42]].Version {
				t.Errorf("Peek after the move = %+v, %v", sc, err)
			}

			again, err := e.MoveScopes(ctx, set, scopes.Move{App: "shop", Kind: scopes.Session, From: tc.from, To: tc.to}, nil)
			if err != nil || !again.Complete || again.Moved != 0 || again.Scanned != 0 {
				t.Errorf("a second run = %+v, %v; want nothing moved", again, err)
			}
		})
	}
}

// A move refuses what it cannot do before it touches a storage, and stops
// at once when its context is cancelled.
func TestEngine_MoveScopesRefusals(t *testing.T) {
	ctx := context.Background()
	st := newShared(t)
	e := newEngine(st, &fakeClock{now: time.Now()})
	set := settings("file", true)
	for _, tc := range []struct {
		m    scopes.Move
		code string
	}{
		{scopes.Move{App: "shop", Kind: scopes.Application, From: "memory", To: "file"}, scopes.EInvalid},
		{scopes.Move{App: "shop", Kind: scopes.Session, From: "file", To: "file"}, scopes.EInvalid},
		{scopes.Move{App: "shop", Kind: scopes.Client, From: "cookie", To: "file"}, scopes.EUnsupported},
		{scopes.Move{App: "shop", Kind: scopes.Session, From: "memory", To: "nowhere"}, scopes.EInvalidSettings},
	} {
		if _, err := e.MoveScopes(ctx, set, tc.m, nil); scopes.ErrorCode(err) != tc.code {
			t.Errorf("MoveScopes(%+v) = %v, want %s", tc.m, err, tc.code)
		}
	}
	mem := st.stores["memory"]
	now := time.Now()
	for range 3 {
		r := record("shop", scopes.Session, now, now.Add(time.Hour), `{}`)
		r.Rev = scopes.NewRev()
		if _, err := mem.Write(ctx, r, scopes.ExpectAbsent, now); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	run, err := e.MoveScopes(cctx, set, scopes.Move{App: "shop", Kind: scopes.Session, From: "memory", To: "file"}, nil)
	if err == nil || run.Moved != 0 || run.Complete {
		t.Errorf("cancelled run = %+v, %v", run, err)
	}
	if n, _, _ := mem.Count(ctx, "shop", scopes.Session, now); n != 3 {
		t.Errorf("%d left after a cancelled run, want 3", n)
	}
}

// failingDelete is a store whose deletes fail once armed, as a storage that
// goes down (or a process that dies) between a move's write and its delete.
type failingDelete struct {
	scopes.Store
	fail bool
}

var errDeleteDown = errors.New("connection reset by peer")

func (s *failingDelete) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	if s.fail {
		return false, errDeleteDown
	}
	return s.Store.Delete(ctx, key)
}

// A run that fails between a scope's write to the new storage and its delete
// from the old one leaves the scope in both, counts it as nothing and keeps
// its cursor before it; the next run finds the copy, does not write it
// again, deletes the old one and counts it as moved.
func TestEngine_MoveScopesCrashBetweenWriteAndDelete(t *testing.T) {
	ctx := context.Background()
	st := newShared(t)
	old := &failingDelete{Store: st.stores["memory"]}
	st.stores["memory"] = old
	e := newEngine(st, &fakeClock{now: time.Now()})
	now := time.Now()
	for i := range 5 {
		r := record("shop", scopes.Session, now, now.Add(time.Hour), fmt.Sprintf(`{"n":%d}`, i))
		r.Rev = scopes.NewRev()
		if _, err := old.Write(ctx, r, scopes.ExpectAbsent, now); err != nil {
			t.Fatal(err)
		}
	}
	old.fail = true
	m := scopes.Move{App: "shop", Kind: scopes.Session, From: "memory", To: "file"}
	run, err := e.MoveScopes(ctx, settings("file", true), m, nil)
	if scopes.ErrorCode(err) != scopes.EUnavailable || run.Moved != 0 || run.Complete || run.Next != "" {
		t.Fatalf("run with a failing delete = %+v, %v", run, err)
	}
	if n, _, _ := st.stores["file"].Count(ctx, "shop", scopes.Session, now); n != 1 {
		t.Fatalf("%d scopes in the new storage after the failed delete, want the 1 written", n)
	}

	old.fail = false
	m.After = run.Next
	again, err := e.MoveScopes(ctx, settings("file", true), m, nil)
	if err != nil || again.Moved != 5 || again.Skipped != 0 || !again.Complete {
		t.Fatalf("the next run = %+v, %v; want 5 moved", again, err)
	}
	if n, _, _ := old.Count(ctx, "shop", scopes.Session, now); n != 0 {
		t.Errorf("%d left in the old storage", n)
	}
}
