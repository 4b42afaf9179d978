package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// write calls Write and fails the test on an error.
func write(t *testing.T, s scopes.Store, rec scopes.Record, expect string, now time.Time) scopes.WriteResult {
	t.Helper()
	res, err := s.Write(context.Background(), rec, expect, now)
	if err != nil {
		t.Fatalf("Write %v expecting %q: %v", rec.Key, expect, err)
	}
	return res
}

// next returns rec changed as a save would change it: new data, the
// version bumped, a new Rev.
func next(rec scopes.Record, data string) scopes.Record {
	rec.Data = json.RawMessage(data)
	rec.Version++
	rec.Rev = scopes.NewRev()
	return rec
}

// mustHold checks that the store holds want under its key at now.
func mustHold(t *testing.T, s scopes.Store, want scopes.Record, now time.Time) {
	t.Helper()
	got, found := mustLoad(t, s, want.Key, now)
	if !found {
		t.Fatalf("%v not found, want %s", want.Key, want.Data)
	}
	if err := equalRecords(got, want); err != nil {
		t.Errorf("stored %v", err)
	}
}

func testWriteAbsent(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := newRecord("shop", scopes.Client, now, `{"new":true}`)
	res := write(t, s, rec, scopes.ExpectAbsent, now)
	if !res.Written || !res.Found {
		t.Fatalf("Write of a new record = %+v, want written", res)
	}
	if err := equalRecords(res.Rec, rec); err != nil {
		t.Errorf("Write returned %v", err)
	}
	mustHold(t, s, rec, now)
}

func testWriteAbsentMeetsLive(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"keep":1}`)
	mustSave(t, s, rec)
	other := rec
	other.Rev, other.Data = scopes.NewRev(), json.RawMessage(`{"lost":true}`)
	res := write(t, s, other, scopes.ExpectAbsent, now)
	if res.Written || !res.Found {
		t.Fatalf("Write expecting no record where one lives = written %v, found %v; want the live record back", res.Written, res.Found)
	}
	if err := equalRecords(res.Rec, rec); err != nil {
		t.Errorf("Write returned %v", err)
	}
	mustHold(t, s, rec, now)
}

func testWriteAbsentExpired(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"old":true}`)
	rec.Expires = now
	mustSave(t, s, rec)
	fresh := newRecord("shop", scopes.Session, now, `{"fresh":true}`)
	fresh.Key = rec.Key
	if res := write(t, s, fresh, scopes.ExpectAbsent, now); !res.Written {
		t.Fatalf("Write expecting no record over an expired one = %+v, want written", res)
	}
	mustHold(t, s, fresh, now)
}

func testWriteRev(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := mustSave(t, s, newRecord("shop", scopes.Session, now, `{"n":1}`))
	later := now.Add(time.Second)
	upd := next(rec, `{"n":2}`)
	upd.LastVisit = later
	res := write(t, s, upd, rec.Rev, later)
	if !res.Written {
		t.Fatalf("Write expecting the stored rev = %+v, want written", res)
	}
	if err := equalRecords(res.Rec, upd); err != nil {
		t.Errorf("Write returned %v", err)
	}
	mustHold(t, s, upd, later)
}

func testWriteRevStale(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := mustSave(t, s, newRecord("shop", scopes.Session, now, `{"n":1}`))
	winner := next(rec, `{"n":2}`)
	if res := write(t, s, winner, rec.Rev, now); !res.Written {
		t.Fatalf("first writer = %+v, want written", res)
	}
	// The loser based its change on rec too: it gets the winner's record
	// back, to apply its change again.
	loser := next(rec, `{"n":2,"lost":true}`)
	res := write(t, s, loser, rec.Rev, now)
	if res.Written || !res.Found {
		t.Fatalf("stale writer = written %v, found %v; want the live record back", res.Written, res.Found)
	}
	if err := equalRecords(res.Rec, winner); err != nil {
		t.Errorf("stale writer got %v", err)
	}
	mustHold(t, s, winner, now)
}

func testWriteRevGone(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	rec := mustSave(t, s, newRecord("shop", scopes.Session, now, `{"n":1}`))
	if _, err := s.Delete(ctx, rec.Key); err != nil {
		t.Fatal(err)
	}
	if res := write(t, s, next(rec, `{"n":2}`), rec.Rev, now); res.Written || res.Found {
		t.Errorf("Write expecting a deleted record = %+v, want not written, not found", res)
	}
	expired := newRecord("shop", scopes.Session, now, `{"n":1}`)
	expired.Expires = now
	expired = mustSave(t, s, expired)
	if res := write(t, s, next(expired, `{"n":2}`), expired.Rev, now); res.Written || res.Found {
		t.Errorf("Write expecting an expired record = %+v, want not written, not found", res)
	}
	for _, key := range []scopes.Key{rec.Key, expired.Key} {
		if _, found := mustLoad(t, s, key, now); found {
			t.Errorf("%v: a write that expected a gone record created one", key)
		}
	}
}

func testWriteAny(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := mustSave(t, s, newRecord("shop", scopes.Client, now, `{"v":1}`))
	over := next(rec, `{"v":2}`)
	if res := write(t, s, over, scopes.ExpectAny, now); !res.Written {
		t.Fatalf("Write expecting anything = %+v, want written", res)
	}
	mustHold(t, s, over, now)
}

// testWriteResent is the write that the engine sends again when it does not
// know whether the first copy was applied: the store recognises it by its
// Rev, says it was written, and never applies it twice, even once another
// write came after it.
func testWriteResent(t *testing.T, s scopes.Store) {
	now := time.Now()
	r1 := mustSave(t, s, newRecord("shop", scopes.Session, now, `{"n":1}`))
	r2 := next(r1, `{"n":2}`)
	for i := range 2 {
		if res := write(t, s, r2, r1.Rev, now); !res.Written {
			t.Fatalf("send #%d of a write = %+v, want written", i+1, res)
		}
	}
	mustHold(t, s, r2, now)
	r3 := next(r2, `{"n":3}`)
	if res := write(t, s, r3, r2.Rev, now); !res.Written {
		t.Fatalf("write on top = %+v, want written", res)
	}
	if res := write(t, s, r2, r1.Rev, now); !res.Written {
		t.Errorf("a write sent again after another came on top = %+v; want written (it was applied once)", res)
	}
	mustHold(t, s, r3, now)

	c1 := newRecord("shop", scopes.Client, now, `{"n":1}`)
	for i := range 2 {
		if res := write(t, s, c1, scopes.ExpectAbsent, now); !res.Written {
			t.Fatalf("send #%d of a create = %+v, want written", i+1, res)
		}
	}
	mustHold(t, s, c1, now)
}

func testWriteNeedsRev(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{}`)
	rec.Rev = ""
	if _, err := s.Write(context.Background(), rec, scopes.ExpectAbsent, now); err == nil {
		t.Error("Write of a record without a rev succeeded")
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

// increment reads the scope, adds one to the "n" member of its data and
// writes it back with a compare-and-set, again on the record the store
// returns until it wins, as the engine's PATCH does. It runs on other
// goroutines than the test's, so it returns its failures.
func increment(ctx context.Context, s scopes.Store, key scopes.Key, now time.Time) error {
	cur, found, err := s.Load(ctx, key, now)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		if attempt == 10000 {
			return fmt.Errorf("%v: no write won in %d attempts", key, attempt)
		}
		base, expect := cur, cur.Rev
		if !found {
			base = scopes.Record{Key: key, CFToken: "0", TimeCreated: now, Expires: now.Add(time.Hour), Data: []byte(`{"n":0}`)}
			expect = scopes.ExpectAbsent
		}
		var d struct{ N int }
		if err := json.Unmarshal(base.Data, &d); err != nil {
			return fmt.Errorf("data %s: %w", base.Data, err)
		}
		upd := next(base, fmt.Sprintf(`{"n":%d}`, d.N+1))
		res, err := s.Write(ctx, upd, expect, now)
		if err != nil {
			return err
		}
		if res.Written {
			return nil
		}
		cur, found = res.Rec, res.Found
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
			if err := increment(ctx, s, key, now); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("increment: %v", err)
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
				if err := increment(ctx, s, key, now); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("increment: %v", err)
	}
	for _, key := range keys {
		got, found := mustLoad(t, s, key, now)
		if !found || counter(t, got) != 2 {
			t.Errorf("%v: found %v, data %s; want n 2", key, found, got.Data)
		}
	}
}
