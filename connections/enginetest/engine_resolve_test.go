package enginetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/memory"
	"github.com/scopestore/scopestore/scopes"
)

// errTimeout is a storage that did not answer in time: the write may or
// may not have been applied.
var errTimeout = errors.New("i/o timeout")

// lossyStore loses the answers of some writes: for the first lose writes it
// either applies the write and then fails (applied true) or fails without
// applying it, as a storage whose answer, or whose request, got lost.
type lossyStore struct {
	scopes.Store
	mu      sync.Mutex
	lose    int
	applied bool
	writes  int
}

func (s *lossyStore) Write(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	s.mu.Lock()
	s.writes++
	lose := s.lose > 0
	s.lose--
	s.mu.Unlock()
	if !lose {
		return s.Store.Write(ctx, rec, expect, now)
	}
	if s.applied {
		if _, err := s.Store.Write(ctx, rec, expect, now); err != nil {
			return scopes.WriteResult{}, err
		}
	}
	return scopes.WriteResult{}, errTimeout
}

func TestEngine_UnknownOutcomeIsResolved(t *testing.T) {
	for _, applied := range []bool{true, false} {
		name := "request lost"
		if applied {
			name = "answer lost"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clk := &fakeClock{now: time.Now()}
			st := &lossyStore{Store: memory.New()}
			e := newEngine(&sharedStorages{stores: map[string]scopes.Store{"file": st}}, clk)
			set := settings("file", true)
			sc, err := e.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":0}`))
			if err != nil {
				t.Fatal(err)
			}
			obs := &resendCounter{}
			e.Observer = obs
			st.mu.Lock()
			st.lose, st.applied, st.writes = 2, applied, 0
			st.mu.Unlock()
			got, err := e.Patch(ctx, set, key(sc), scopes.Patch{Incr: map[string]json.Number{"n": "1"}}, 0)
			if err != nil {
				t.Fatalf("PATCH whose first answers were lost: %v", err)
			}
			if string(got.Data) != `{"n":1}` || got.Version != 2 {
				t.Errorf("PATCH answered %s v%d; want n 1, version 2", got.Data, got.Version)
			}
			if st.writes != 3 {
				t.Errorf("the store saw %d writes, want 3 (the same write sent again until answered)", st.writes)
			}
			if obs.resolved != 1 || obs.unknown != 0 {
				t.Errorf("observed %d resolved and %d unknown resends, want 1 and 0", obs.resolved, obs.unknown)
			}
			loaded, err := e.Load(ctx, set, key(sc))
			if err != nil || string(loaded.Data) != `{"n":1}` {
				t.Errorf("stored %s, %v; want the increment applied once", loaded.Data, err)
			}
		})
	}
}

func TestEngine_UnresolvedWriteSaysSo(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{now: time.Now()}
	st := &lossyStore{Store: memory.New()}
	e := newEngine(&sharedStorages{stores: map[string]scopes.Store{"file": st}}, clk)
	e.ResolveTime = 100 * time.Millisecond
	set := settings("file", true)
	sc, err := e.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":0}`))
	if err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	st.lose = 1 << 30
	st.mu.Unlock()
	obs := &resendCounter{}
	e.Observer = obs
	_, err = e.Save(ctx, set, key(sc), []byte(`{"n":1}`), 0)
	if obs.unknown != 1 {
		t.Errorf("observed %d unknown outcomes, want 1", obs.unknown)
	}
	if scopes.ErrorCode(err) != scopes.EUnavailable || !strings.Contains(scopes.ErrorMessage(err), "may or may not have been applied") {
		t.Errorf("a write never answered: %v; want unavailable, saying its outcome is unknown", err)
	}
	if st.writes < 2 {
		t.Errorf("the store saw %d writes; want the write sent again", st.writes)
	}
}

// A connection refused sent nothing: the answer is 503 at once, with no
// write sent again.
func TestEngine_NotSentIsNotResent(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	e := newEngine(st, clk)
	set := settings("file", true)
	sc, err := e.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":0}`))
	if err != nil {
		t.Fatal(err)
	}
	refusing := &refusingStore{Store: st.stores["file"]}
	st.stores["file"] = refusing
	if _, err := e.Save(ctx, set, key(sc), []byte(`{"n":1}`), 0); scopes.ErrorCode(err) != scopes.EUnavailable {
		t.Errorf("save with the storage refusing connections: %v; want unavailable", err)
	}
	if refusing.writes != 1 {
		t.Errorf("the write was tried %d times; want once, as nothing was sent", refusing.writes)
	}
}

// refusingStore refuses every write's connection, and counts the writes.
type refusingStore struct {
	scopes.Store
	writes int
}

func (s *refusingStore) Write(context.Context, scopes.Record, string, time.Time) (scopes.WriteResult, error) {
	s.writes++
	return scopes.WriteResult{}, errDown
}

// contendedStore loses every compare-and-set: another writer always came
// first, as with hundreds of writers of one scope at once.
type contendedStore struct{ scopes.Store }

func (s contendedStore) Write(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	cur, found, err := s.Store.Load(ctx, rec.Key, now)
	if err != nil || !found {
		return scopes.WriteResult{}, err
	}
	cur.Rev = scopes.NewRev() // someone else's write
	return scopes.WriteResult{Rec: cur, Found: true}, nil
}

// A write that keeps losing to other writers is answered 409 conflict and
// not applied, whatever the storage: the engine, not each store, gives up.
func TestEngine_ContentionIsAConflict(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	e := newEngine(st, clk)
	e.WriteAttempts = 3
	set := settings("file", true)
	sc, err := e.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	good := st.stores["file"]
	st.stores["file"] = contendedStore{good}
	_, err = e.Patch(ctx, set, key(sc), scopes.Patch{Incr: map[string]json.Number{"n": "1"}}, 0)
	if scopes.ErrorCode(err) != scopes.EConflict {
		t.Errorf("a write that lost every race: %v; want conflict", err)
	}
	st.stores["file"] = good
	if got, err := e.Load(ctx, set, key(sc)); err != nil || string(got.Data) != `{"n":1}` {
		t.Errorf("stored %s, %v; want the scope unchanged", got.Data, err)
	}
}

// resendCounter is an Observer that counts the resends' outcomes.
type resendCounter struct{ resolved, unknown int }

func (c *resendCounter) ObserveOp(string, string, string, time.Duration) {}
func (c *resendCounter) ObserveClean(string, int, error)                 {}
func (c *resendCounter) ObserveResend(_ string, resolved bool) {
	if resolved {
		c.resolved++
	} else {
		c.unknown++
	}
}
