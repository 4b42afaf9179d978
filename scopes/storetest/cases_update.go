package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

func testUpdateMissing(t *testing.T, s scopes.Store) {
	now := time.Now()
	want := newRecord("shop", scopes.Client, now, `{"new":true}`)
	calls := 0
	got, err := s.Update(context.Background(), want.Key, now, func(cur scopes.Record, found bool) (scopes.Record, error) {
		calls++
		if found || cur.Version != 0 || len(cur.Data) != 0 {
			t.Errorf("fn got found %v, %+v for a missing key; want false and no record", found, cur)
		}
		return want, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if calls != 1 {
		t.Errorf("fn called %d times, want 1", calls)
	}
	if err := equalRecords(got, want); err != nil {
		t.Errorf("Update returned %v", err)
	}
	loaded, found := mustLoad(t, s, want.Key, now)
	if !found {
		t.Fatal("record created by Update not found")
	}
	if err := equalRecords(loaded, want); err != nil {
		t.Errorf("loaded %v", err)
	}
}

func testUpdateExisting(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
	mustSave(t, s, rec)
	later := now.Add(time.Second)
	got, err := s.Update(context.Background(), rec.Key, later, func(cur scopes.Record, found bool) (scopes.Record, error) {
		if !found {
			t.Error("fn got found false for a saved record")
		}
		if err := equalRecords(cur, rec); err != nil {
			t.Errorf("fn got %v", err)
		}
		cur.Version++
		cur.LastVisit = later
		cur.Data = []byte(`{"n":2}`)
		return cur, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	loaded, _ := mustLoad(t, s, rec.Key, later)
	for what, r := range map[string]scopes.Record{"returned": got, "loaded": loaded} {
		if r.Version != 2 || string(r.Data) != `{"n":2}` || r.LastVisit.UnixMilli() != later.UnixMilli() {
			t.Errorf("%s version %d, data %s, lastvisit %v; want 2, {\"n\":2}, %v", what, r.Version, r.Data, r.LastVisit, later)
		}
	}
}

func testUpdateExpired(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"old":true}`)
	rec.Expires = now
	mustSave(t, s, rec)
	_, err := s.Update(context.Background(), rec.Key, now, func(cur scopes.Record, found bool) (scopes.Record, error) {
		if found || len(cur.Data) != 0 {
			t.Errorf("fn got found %v, data %s for an expired record; want false and no data", found, cur.Data)
		}
		fresh := newRecord("shop", scopes.Session, now, `{"fresh":true}`)
		return fresh, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, found := mustLoad(t, s, rec.Key, now)
	if !found || string(got.Data) != `{"fresh":true}` {
		t.Errorf("after Update: found %v, data %s; want the fresh record", found, got.Data)
	}
}

func testUpdateError(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	errStale := errors.New("stale version")
	existing := newRecord("shop", scopes.Session, now, `{"keep":1}`)
	mustSave(t, s, existing)
	missing := newRecord("shop", scopes.Session, now, `{}`)

	for _, key := range []scopes.Key{existing.Key, missing.Key} {
		got, err := s.Update(ctx, key, now, func(cur scopes.Record, found bool) (scopes.Record, error) {
			cur.Version = 99
			cur.Data = []byte(`{"lost":true}`)
			return cur, fmt.Errorf("precondition: %w", errStale)
		})
		if !errors.Is(err, errStale) {
			t.Errorf("Update error %v, want fn's error", err)
		}
		if got.Version != 0 {
			t.Errorf("Update returned %+v along with its error", got)
		}
	}
	got, found := mustLoad(t, s, existing.Key, now)
	if !found || got.Version != 1 || string(got.Data) != `{"keep":1}` {
		t.Errorf("after a failed update: found %v, version %d, data %s; want the saved record", found, got.Version, got.Data)
	}
	if _, found := mustLoad(t, s, missing.Key, now); found {
		t.Error("a failed update of a missing key created it")
	}
}

func testDelete(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	rec := newRecord("shop", scopes.Client, now, `{}`)
	mustSave(t, s, rec)
	for i, want := range []bool{true, false} {
		found, err := s.Delete(ctx, rec.Key)
		if err != nil || found != want {
			t.Errorf("Delete #%d = %v, %v; want %v, nil", i+1, found, err, want)
		}
	}
	if _, found := mustLoad(t, s, rec.Key, now); found {
		t.Error("deleted record still loads")
	}
}

// increment adds one to the "n" member of the data and bumps the version,
// as the engine's PATCH does. It runs on other goroutines than the test's, so
// it returns its failures instead of calling t.Fatal.
func increment(now time.Time) func(cur scopes.Record, found bool) (scopes.Record, error) {
	return func(cur scopes.Record, found bool) (scopes.Record, error) {
		if !found {
			cur = scopes.Record{Key: cur.Key, CFToken: "0", TimeCreated: now, Expires: now.Add(time.Hour)}
			cur.Data = []byte(`{"n":0}`)
		}
		var d struct{ N int }
		if err := json.Unmarshal(cur.Data, &d); err != nil {
			return scopes.Record{}, fmt.Errorf("data %s: %w", cur.Data, err)
		}
		cur.Data = fmt.Appendf(nil, `{"n":%d}`, d.N+1)
		cur.Version++
		return cur, nil
	}
}

// concurrencyTimeout turns a store that deadlocks into a failure rather than
// a test binary that hangs until go test kills it.
const concurrencyTimeout = 30 * time.Second

func testConcurrentSameKey(t *testing.T, s scopes.Store) {
	const workers = 50
	now := time.Now()
	key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	ctx, cancel := context.WithTimeout(context.Background(), concurrencyTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			if _, err := s.Update(ctx, key, now, increment(now)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Update: %v", err)
	}
	got, found := mustLoad(t, s, key, now)
	if !found {
		t.Fatal("record not found")
	}
	if n := counter(t, got); n != workers || got.Version != workers {
		t.Errorf("after %d concurrent increments: n = %d, version %d; lost updates", workers, n, got.Version)
	}
}

func testConcurrentDifferentKeys(t *testing.T, s scopes.Store) {
	const workers = 50
	now := time.Now()
	keys := make([]scopes.Key, workers)
	for i := range keys {
		keys[i] = scopes.Key{App: "shop", Kind: scopes.Kinds[i%2], CFID: scopes.NewCFID()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), concurrencyTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for _, key := range keys {
		wg.Go(func() {
			for range 2 {
				if _, err := s.Update(ctx, key, now, increment(now)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Update: %v", err)
	}
	for _, key := range keys {
		got, found := mustLoad(t, s, key, now)
		if !found || counter(t, got) != 2 {
			t.Errorf("%v: found %v, data %s; want n 2", key, found, got.Data)
		}
	}
}
