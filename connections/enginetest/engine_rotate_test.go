package enginetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// rotateStorages runs the rotation tests on each storage of listStorages, as
// "tiered" behind the engine (memory itself keeps no copies).
func rotateEngines(t *testing.T, open func(t *testing.T) scopes.Store, clk *fakeClock) (a, b *scopes.Engine) {
	st := open(t)
	storages := &sharedStorages{stores: map[string]scopes.Store{"tiered": st}}
	return newEngine(storages, clk), newEngine(storages, clk)
}

func rotatedTo(t *testing.T, err error) string {
	t.Helper()
	var re *scopes.RotatedError
	if scopes.ErrorCode(err) != scopes.ERotated || !errors.As(err, &re) {
		t.Fatalf("got %v; want a rotated error naming the new cfid", err)
	}
	return re.To
}

// A rotated session keeps its data under the new cfid; the old one answers
// read-only, naming the new one, until the grace ends.
func TestEngine_RotateMovesTheSession(t *testing.T) {
	for _, s := range listStorages {
		for _, cluster := range []bool{true, false} {
			name := s.name + map[bool]string{true: "/cluster", false: "/local"}[cluster]
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				clk := &fakeClock{now: time.Now()}
				a, b := rotateEngines(t, s.open, clk)
				a.RotateGrace, b.RotateGrace = 10*time.Second, 10*time.Second
				set := settings("tiered", cluster)
				sc, err := a.Create(ctx, set, "shop", scopes.Session, []byte(`{"user":"ann","n":1}`))
				if err != nil {
					t.Fatal(err)
				}
				old := key(sc)
				if _, err := b.Load(ctx, set, old); err != nil { // b holds a copy with cluster = false
					t.Fatal(err)
				}
				moved, err := a.Rotate(ctx, set, old, "")
				if err != nil {
					t.Fatal(err)
				}
				if moved.CFID == old.CFID || string(moved.Data) != `{"user":"ann","n":1}` || moved.Version != 1 {
					t.Fatalf("rotated to %s v%d %s; want a new cfid, version 1, the same data", moved.CFID, moved.Version, moved.Data)
				}
				got, err := a.Load(ctx, set, old)
				if err != nil || got.RotatedTo != moved.CFID || string(got.Data) != `{"user":"ann","n":1}` {
					t.Fatalf("old cfid on a: %+v, %v; want its data and rotatedTo %s", got, err, moved.CFID)
				}
				// b's copy predates the rotation: its write finds the rotation out.
				_, err = b.Patch(ctx, set, old, scopes.Patch{Incr: map[string]json.Number{"n": "1"}}, 0)
				if to := rotatedTo(t, err); to != moved.CFID {
					t.Fatalf("b's PATCH of the old cfid names %s, want %s", to, moved.CFID)
				}
				rotatedTo(t, a.Touch(ctx, set, old))
				_, err = a.Save(ctx, set, old, []byte(`{}`), 0)
				rotatedTo(t, err)
				_, err = a.Rotate(ctx, set, old, "")
				rotatedTo(t, err)
				if _, err := b.Patch(ctx, set, key(moved), scopes.Patch{Incr: map[string]json.Number{"n": "1"}}, 0); err != nil {
					t.Fatal(err)
				}
				clk.Advance(11 * time.Second)
				if _, err := a.Load(ctx, set, old); scopes.ErrorCode(err) != scopes.ENotFound {
					t.Fatalf("old cfid after the grace: %v; want not found", err)
				}
				got, err = a.Load(ctx, set, key(moved))
				var d struct {
					User string
					N    int
				}
				if err != nil || json.Unmarshal(got.Data, &d) != nil || d != (struct {
					User string
					N    int
				}{"ann", 2}) {
					t.Fatalf("new cfid: %s, %v", got.Data, err)
				}
			})
		}
	}
}

// Increments sent to the old cfid while it is rotated are either applied
// before the rotation, and then in the new session, or refused: none is lost.
func TestEngine_RotateLosesNoConcurrentWrite(t *testing.T) {
	for _, s := range listStorages {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			clk := &fakeClock{now: time.Now()}
			a, b := rotateEngines(t, s.open, clk)
			set := settings("tiered", true)
			sc, err := a.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":0}`))
			if err != nil {
				t.Fatal(err)
			}
			var acked atomic.Int64
			var wg sync.WaitGroup
			for w := range 2 {
				eng := []*scopes.Engine{a, b}[w]
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 300 {
						_, err := eng.Patch(ctx, set, key(sc), scopes.Patch{Incr: map[string]json.Number{"n": "1"}}, 0)
						if err == nil {
							acked.Add(1)
						} else if scopes.ErrorCode(err) == scopes.ERotated {
							return
						} else {
							t.Error(err)
							return
						}
					}
				}()
			}
			time.Sleep(20 * time.Millisecond)
			moved, err := a.Rotate(ctx, set, key(sc), "")
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.Load(ctx, set, key(moved))
			if err != nil {
				t.Fatal(err)
			}
			var d struct{ N int64 }
			_ = json.Unmarshal(got.Data, &d)
			if d.N != acked.Load() {
				t.Fatalf("the new session holds n = %d; %d increments were acknowledged on the old cfid", d.N, acked.Load())
			}
			t.Logf("%d increments acknowledged before the rotation, all in the new session", d.N)
		})
	}
}

// With no grace the old cfid ends at once; a chosen new cfid is used, and
// one that is taken is refused with nothing changed.
func TestEngine_RotateWithoutGraceAndToAChosenCFID(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: time.Now()}
	a, _ := rotateEngines(t, listStorages[1].open, clk)
	a.RotateGrace = 0
	set := settings("tiered", true)
	sc, _ := a.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":1}`))
	other, _ := a.Create(ctx, set, "shop", scopes.Session, nil)
	if _, err := a.Rotate(ctx, set, key(sc), other.CFID); scopes.ErrorCode(err) != scopes.EPreconditionFailed {
		t.Fatalf("rotate to a taken cfid: %v; want precondition_failed", err)
	}
	if _, err := a.Rotate(ctx, set, key(sc), "not-a-uuid"); scopes.ErrorCode(err) != scopes.EInvalid {
		t.Fatalf("rotate to a bad cfid: %v; want invalid", err)
	}
	want := scopes.NewCFID()
	moved, err := a.Rotate(ctx, set, key(sc), want)
	if err != nil || moved.CFID != want {
		t.Fatalf("rotate to %s: %+v, %v", want, moved, err)
	}
	if _, err := a.Load(ctx, set, key(sc)); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Fatalf("old cfid with no grace: %v; want not found", err)
	}
}

// With no grace, a delete of the old cfid that fails after its mark was
// written does not undo the rotation: the new session is answered, and the
// mark refuses changes to the old cfid until it lapses, within a second.
func TestEngine_RotateWithoutGraceWhenTheDeleteFails(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: time.Now()}
	st := &refusedDelete{Store: listStorages[1].open(t)}
	a := newEngine(&sharedStorages{stores: map[string]scopes.Store{"tiered": st}}, clk)
	a.RotateGrace = 0
	set := settings("tiered", true)
	sc, err := a.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	st.fail = true
	moved, err := a.Rotate(ctx, set, key(sc), "")
	if err != nil {
		t.Fatalf("rotate with a failing delete: %v; want the new session", err)
	}
	st.fail = false
	if _, err := a.Patch(ctx, set, key(sc), scopes.Patch{Incr: map[string]json.Number{"n": "1"}}, 0); rotatedTo(t, err) != moved.CFID {
		t.Fatalf("a change of the old cfid went elsewhere")
	}
	got, err := a.Load(ctx, set, key(moved))
	if err != nil || string(got.Data) != `{"n":1}` {
		t.Fatalf("new session: %+v, %v", got, err)
	}
}

// refusedDelete is a store whose deletes, once armed, are refused before
// they run, as by a storage that went down.
type refusedDelete struct {
	scopes.Store
	fail bool
}

func (s *refusedDelete) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	if s.fail {
		return false, fmt.Errorf("%w: connection refused", scopes.ErrNotApplied)
	}
	return s.Store.Delete(ctx, key)
}

// CreateWithID creates under the caller's cfid only when it is free.
func TestEngine_CreateWithID(t *testing.T) {
	for _, s := range listStorages {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			a, _ := rotateEngines(t, s.open, &fakeClock{now: time.Now()})
			set := settings("tiered", true)
			k := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			sc, err := a.CreateWithID(ctx, set, k, []byte(`{"n":1}`))
			if err != nil || sc.CFID != k.CFID || sc.Version != 1 {
				t.Fatalf("create %s: %+v, %v", k.CFID, sc, err)
			}
			if _, err := a.CreateWithID(ctx, set, k, []byte(`{"n":2}`)); scopes.ErrorCode(err) != scopes.EPreconditionFailed {
				t.Fatalf("second create: %v; want precondition_failed", err)
			}
			got, err := a.Load(ctx, set, k)
			if err != nil || string(got.Data) != `{"n":1}` {
				t.Fatalf("after a refused create: %s, %v; want the first data", got.Data, err)
			}
		})
	}
}

// A change that Redis cannot make in place (a fractional incr, a rotated
// session) is an answer, not an unknown outcome: it falls back to a read
// and a compare-and-set at once, with nothing sent again.
func TestEngine_UnchangeableIsNotResent(t *testing.T) {
	ctx := context.Background()
	a, _ := rotateEngines(t, listStorages[4].open, &fakeClock{now: time.Now()})
	obs := &resendCounter{}
	a.Observer = obs
	set := settings("tiered", true)
	sc, err := a.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Patch(ctx, set, key(sc), scopes.Patch{Incr: map[string]json.Number{"n": "0.5"}}, 0)
	if err != nil || string(got.Data) != `{"n":1.5}` {
		t.Fatalf("PATCH incr 0.5: %s, %v", got.Data, err)
	}
	if obs.resolved+obs.unknown != 0 {
		t.Fatalf("the PATCH was sent again %d times; an unchangeable record is an answer", obs.resolved+obs.unknown)
	}
}
