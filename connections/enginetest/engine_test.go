package enginetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/memory"
	"github.com/scopestore/scopestore/connections/sqlstore"
	"github.com/scopestore/scopestore/scopes"
)

// sharedStorages hands the same stores to every engine: two engines over one
// sharedStorages behave as two instances in front of the same storages.
type sharedStorages struct {
	stores map[string]scopes.Store
}

func (s *sharedStorages) Store(_ context.Context, name string) (scopes.Store, error) {
	st, ok := s.stores[name]
	if !ok {
		return nil, scopes.Errorf(scopes.EInvalidSettings, "unknown storage %q", name)
	}
	return st, nil
}

func (s *sharedStorages) Names(context.Context, scopes.Kind) ([]string, error) {
	return []string{"memory", "file"}, nil
}

func (s *sharedStorages) Open() map[string]scopes.Store { return s.stores }

func newShared(t *testing.T) *sharedStorages {
	t.Helper()
	file, err := sqlstore.OpenSQLite(filepath.Join(t.TempDir(), "scopes.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = file.Close() })
	return &sharedStorages{stores: map[string]scopes.Store{"memory": memory.New(), "file": file}}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newEngine(st scopes.Storages, clk *fakeClock) *scopes.Engine {
	e := scopes.NewEngine(st)
	e.Now = clk.Now
	return e
}

func settings(storage string, cluster bool) scopes.Settings {
	v := "false"
	if cluster {
		v = "true"
	}
	return scopes.Resolve(scopes.Layer{
		scopes.SessionStorage: {Value: storage, By: scopes.FromAdmin},
		scopes.SessionCluster: {Value: v, By: scopes.FromAdmin},
	}, nil).Settings
}

func key(sc *scopes.Scope) scopes.Key {
	return scopes.Key{App: "shop", Kind: scopes.Session, CFID: sc.CFID}
}

func TestEngine_ClusterTrueReadsTheOtherInstancesWrite(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	a, b := newEngine(st, clk), newEngine(st, clk)
	set := settings("file", true)

	sc, err := a.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Load(ctx, set, key(sc)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Save(ctx, set, key(sc), []byte(`{"n":2}`), 0); err != nil {
		t.Fatal(err)
	}
	got, err := b.Load(ctx, set, key(sc))
	if err != nil || string(got.Data) != `{"n":2}` || got.Version != 2 {
		t.Fatalf("instance b read %s v%d, %v; want a's write", got.Data, got.Version, err)
	}
}

func TestEngine_ClusterFalseServesItsMemoryCopy(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	a, b := newEngine(st, clk), newEngine(st, clk)
	set := settings("file", false)

	sc, err := a.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	// Every change is written through: the storage holds it before the answer.
	if _, err := a.Save(ctx, set, key(sc), []byte(`{"n":2}`), 0); err != nil {
		t.Fatal(err)
	}
	stored, found, err := st.stores["file"].Load(ctx, key(sc), clk.Now())
	if err != nil || !found || string(stored.Data) != `{"n":2}` {
		t.Fatalf("storage holds %s (found %v, %v); want the save written through", stored.Data, found, err)
	}
	// b writes behind a's back; a keeps serving its own copy, as Lucee does with cluster = false.
	if _, err := b.Save(ctx, set, key(sc), []byte(`{"n":99}`), 0); err != nil {
		t.Fatal(err)
	}
	got, err := a.Load(ctx, set, key(sc))
	if err != nil || string(got.Data) != `{"n":2}` {
		t.Fatalf("a read %s, %v; want its memory copy", got.Data, err)
	}
	// Once the copy has been idle past the idle time it leaves memory, and the storage is read again.
	a.IdleTime = time.Minute
	clk.Advance(2 * time.Minute)
	if _, err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = a.Load(ctx, set, key(sc))
	if err != nil || string(got.Data) != `{"n":99}` {
		t.Fatalf("after the sweep a read %s, %v; want the stored value", got.Data, err)
	}
}

func TestEngine_ClusterFalseSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	set := settings("file", false)
	a := newEngine(st, clk)
	sc, err := a.Create(ctx, set, "shop", scopes.Session, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Patch(ctx, set, key(sc), scopes.Patch{Incr: map[string]json.Number{"n": "5"}}, 0); err != nil {
		t.Fatal(err)
	}
	restarted := newEngine(st, clk) // a new process: an empty memory tier
	got, err := restarted.Load(ctx, set, key(sc))
	if err != nil || string(got.Data) != `{"n":5}` || got.Version != 2 {
		t.Fatalf("after a restart: %s v%d, %v", got.Data, got.Version, err)
	}
}

func TestEngine_VisitWritesAreDeferredForSessions(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	e := newEngine(st, clk)
	set := settings("file", true) // 30m timeout: visits are written after 3m
	sc, err := e.Create(ctx, set, "shop", scopes.Session, nil)
	if err != nil {
		t.Fatal(err)
	}
	created := sc.LastVisit
	clk.Advance(time.Minute)
	got, err := e.Load(ctx, set, key(sc))
	if err != nil || !got.LastVisit.Equal(created) {
		t.Fatalf("a visit 1m later was written: lastvisit %v, %v", got.LastVisit, err)
	}
	clk.Advance(3 * time.Minute)
	got, err = e.Load(ctx, set, key(sc))
	if err != nil || !got.LastVisit.Equal(clk.Now().Truncate(time.Millisecond)) || !got.Expires.Equal(got.LastVisit.Add(30*time.Minute)) {
		t.Fatalf("a visit 4m later was not written: lastvisit %v expires %v, %v", got.LastVisit, got.Expires, err)
	}
	stored, _, _ := st.stores["file"].Load(ctx, key(sc), clk.Now())
	if !stored.LastVisit.Equal(got.LastVisit) {
		t.Fatalf("the storage did not get the visit: %v", stored.LastVisit)
	}
}

// brokenStore fails every operation, as a storage that is down does.
type brokenStore struct{ scopes.Store }

// errDown is what a storage that refuses connections answers: nothing was
// sent, as the store says, so nothing is sent again.
var errDown = fmt.Errorf("%w: %w", scopes.ErrNotApplied, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")})

func (brokenStore) Load(context.Context, scopes.Key, time.Time) (scopes.Record, bool, error) {
	return scopes.Record{}, false, errDown
}
func (brokenStore) Write(context.Context, scopes.Record, string, time.Time) (scopes.WriteResult, error) {
	return scopes.WriteResult{}, errDown
}
func (brokenStore) Delete(context.Context, scopes.Key) (bool, error) { return false, errDown }

func TestEngine_AFailedWriteIsNotServedFromMemory(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	e := newEngine(st, clk)
	set := settings("file", false)
	sc, err := e.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	good := st.stores["file"]
	st.stores["file"] = brokenStore{good}
	_, err = e.Save(ctx, set, key(sc), []byte(`{"n":2}`), 0)
	if scopes.ErrorCode(err) != scopes.EUnavailable {
		t.Fatalf("save to a broken storage: %v", err)
	}
	// The memory copy was dropped: the next load asks the storage, which is still down.
	if _, err := e.Load(ctx, set, key(sc)); scopes.ErrorCode(err) != scopes.EUnavailable {
		t.Fatalf("load after a failed save: %v; want unavailable, never the unsaved value", err)
	}
	st.stores["file"] = good
	got, err := e.Load(ctx, set, key(sc))
	if err != nil || string(got.Data) != `{"n":1}` {
		t.Fatalf("after recovery: %s, %v; want the last acknowledged save", got.Data, err)
	}
}

// With cluster = true a load leaves a copy as the base of the next write
// only; it goes after half a minute, where a cluster = false copy stays for
// the idle time.
func TestEngine_ClusterTrueCopiesGoSoon(t *testing.T) {
	ctx := context.Background()
	st, clk := newShared(t), &fakeClock{now: time.Now()}
	e := newEngine(st, clk)
	for _, cluster := range []bool{true, false} {
		set := settings("file", cluster)
		sc, err := e.Create(ctx, set, "shop", scopes.Session, []byte(`{"n":1}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Load(ctx, set, key(sc)); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.MemoryScopes(); n != 2 {
		t.Fatalf("%d copies after a load of each, want 2", n)
	}
	clk.Advance(time.Minute)
	if _, err := e.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.MemoryScopes(); n != 1 {
		t.Errorf("%d copies a minute later, want 1: the cluster = false one", n)
	}
}
