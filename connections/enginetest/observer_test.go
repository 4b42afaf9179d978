package enginetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// recorder is an Observer that keeps what it is told, as "storage op result"
// and "storage deleted code".
type recorder struct {
	mu     sync.Mutex
	ops    []string
	cleans []string
}

func (r *recorder) ObserveOp(storage, op, result string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d < 0 {
		panic("negative duration")
	}
	r.ops = append(r.ops, storage+" "+op+" "+result)
}

func (r *recorder) ObserveResend(string, bool) {}

func (r *recorder) ObserveClean(storage string, deleted int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleans = append(r.cleans, fmt.Sprintf("%s %d %s", storage, deleted, scopes.ErrorCode(err)))
}

// take returns what was recorded since the last take.
func (r *recorder) take() (ops, cleans []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops, cleans, r.ops, r.cleans = r.ops, r.cleans, nil, nil
	return ops, cleans
}

func TestEngine_ObserverSeesEachOperationAndItsResult(t *testing.T) {
	for _, cluster := range []bool{true, false} {
		t.Run(fmt.Sprintf("cluster=%v", cluster), func(t *testing.T) {
			ctx := context.Background()
			st, clk := newShared(t), &fakeClock{now: time.Now()}
			e := newEngine(st, clk)
			rec := &recorder{}
			e.Observer = rec
			set := settings("file", cluster)

			sc, err := e.Create(ctx, set, "shop", scopes.Session, nil)
			if err != nil {
				t.Fatal(err)
			}
			k := key(sc)
			missing := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
			_, _ = e.Load(ctx, set, k)
			_, _ = e.Load(ctx, set, missing)
			_, _ = e.Save(ctx, set, k, json.RawMessage(`{"n":1}`), sc.Version+5)
			_, _ = e.Patch(ctx, set, k, scopes.Patch{Set: map[string]json.RawMessage{"n": json.RawMessage("2")}}, 0)
			_, _ = e.Patch(ctx, set, k, scopes.Patch{}, 0)
			_ = e.Touch(ctx, set, missing)
			_, _ = e.Create(ctx, settings("nowhere", cluster), "shop", scopes.Session, nil)
			good := st.stores["file"]
			st.stores["file"] = brokenStore{good}
			_, _ = e.Save(ctx, set, k, json.RawMessage(`{"n":3}`), 0)
			st.stores["file"] = good
			_ = e.Delete(ctx, set, k)
			_ = e.Delete(ctx, set, k)

			ops, _ := rec.take()
			want := []string{
				"file create ok",
				"file load ok",
				"file load not_found",
				"file save conflict",
				"file patch ok",
				"file patch invalid",
				"file touch not_found",
				"nowhere create invalid",
				"file save unavailable",
				"file delete ok",
				"file delete not_found",
			}
			if !slices.Equal(ops, want) {
				t.Fatalf("observed\n%q\nwant\n%q", ops, want)
			}
		})
	}
}

func TestEngine_ObserverSeesCleanerPasses(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	e := newEngine(st, clk)
	rec := &recorder{}
	e.Observer = rec
	for _, storage := range []string{"file", "file", "memory"} {
		if _, err := e.Create(ctx, settings(storage, true), "shop", scopes.Session, nil); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(31 * time.Minute)
	if _, err := e.Clean(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	st.stores["file"] = failingCleaner{st.stores["file"]}
	if _, err := e.Clean(ctx); scopes.ErrorCode(err) != scopes.EUnavailable {
		t.Fatalf("clean of a broken storage: %v", err)
	}
	_, cleans := rec.take()
	want := []string{"file 2 ", "memory 1 ", "file 0 unavailable"}
	if !slices.Equal(cleans, want) {
		t.Fatalf("observed %q, want %q", cleans, want)
	}
}

// failingCleaner is a storage whose deletes of expired scopes fail.
type failingCleaner struct{ scopes.Store }

func (failingCleaner) DeleteExpired(context.Context, time.Time, int) ([]scopes.Key, error) {
	return nil, errors.New("connection reset")
}

func TestEngine_MemoryScopesCountsTheClusterFalseCopies(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	e := newEngine(st, clk)
	tiered, stored := settings("file", false), settings("file", true)
	var keys []scopes.Key
	for range 3 {
		sc, err := e.Create(ctx, tiered, "shop", scopes.Session, nil)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key(sc))
	}
	// Neither a scope with cluster = true nor a scope that is not found stays in memory.
	if _, err := e.Create(ctx, stored, "shop", scopes.Session, nil); err != nil {
		t.Fatal(err)
	}
	_, _ = e.Load(ctx, tiered, scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()})
	if n := e.MemoryScopes(); n != 3 {
		t.Fatalf("MemoryScopes = %d after 3 creates with cluster=false, want 3", n)
	}
	if err := e.Delete(ctx, tiered, keys[0]); err != nil {
		t.Fatal(err)
	}
	if n := e.MemoryScopes(); n != 2 {
		t.Fatalf("MemoryScopes = %d after a delete, want 2", n)
	}
	clk.Advance(e.IdleTime)
	if _, err := e.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.MemoryScopes(); n != 0 {
		t.Fatalf("MemoryScopes = %d after the idle time, want 0", n)
	}
}
