package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// testFenceRoundTrip writes records with a lock fence (Record.Fence) and
// loads them back with it: the engine refuses a write under an older fence
// by the one stored, so a store that dropped it would let a writer whose
// lock ran out overwrite the scope. A write stores the Fence its record
// carries, whatever the record it replaces had: raising or keeping it is
// the engine's decision.
func testFenceRoundTrip(t *testing.T, s scopes.Store) {
	now := time.Now()
	for _, rec := range []scopes.Record{
		newRecord("shop", scopes.Session, now, `{"n":1}`),
		sharedRecord(scopes.ApplicationKey("shop"), now, `{"n":1}`),
		sharedRecord(scopes.ServerKey(), now, `{"n":1}`),
	} {
		rec.Fence = 7
		res := write(t, s, rec, scopes.ExpectAbsent, now)
		if !res.Written {
			t.Fatalf("%s: create of a fenced record = %+v, want written", rec.Kind, res)
		}
		if err := equalRecords(res.Rec, rec); err != nil {
			t.Errorf("%s: create returned %v", rec.Kind, err)
		}
		mustHold(t, s, rec, now)

		// Those that find it stored get it back with its fence.
		other := next(rec, `{"lost":true}`)
		other.Fence = 0
		if res := write(t, s, other, scopes.ExpectAbsent, now); res.Written || equalRecords(res.Rec, rec) != nil {
			t.Errorf("%s: create where a fenced record lives = written %v, %+v; want the live record back", rec.Kind, res.Written, res.Rec)
		}

		up := next(rec, `{"n":2}`)
		up.Fence = 9
		if res := write(t, s, up, rec.Rev, now); !res.Written || equalRecords(res.Rec, up) != nil {
			t.Fatalf("%s: compare-and-set on a fenced record = %+v; want written with fence 9", rec.Kind, res)
		}
		mustHold(t, s, up, now)
		if res := write(t, s, next(rec, `{"stale":true}`), rec.Rev, now); res.Written || !res.Found {
			t.Errorf("%s: stale compare-and-set = %+v; want the live record back", rec.Kind, res)
		} else if err := equalRecords(res.Rec, up); err != nil {
			t.Errorf("%s: stale compare-and-set got %v", rec.Kind, err)
		}

		plain := next(up, `{"n":3}`)
		plain.Fence = 0
		if res := write(t, s, plain, up.Rev, now); !res.Written {
			t.Fatalf("%s: compare-and-set without a fence on a fenced record = %+v, want written", rec.Kind, res)
		}
		mustHold(t, s, plain, now)

		over := next(plain, `{"n":4}`)
		over.Fence = 3
		for i := range 2 { // the second is the same write sent again
			if res := write(t, s, over, scopes.ExpectAny, now); !res.Written {
				t.Fatalf("%s: overwrite #%d with a fence = %+v, want written", rec.Kind, i+1, res)
			}
		}
		mustHold(t, s, over, now)
	}
}

// testFenceChange changes a fenced record in place (scopes.Changer): the
// store keeps the fence in what it writes, or refuses with
// ErrUnchangeable and changes nothing, and the engine then reads and
// writes the record itself.
func testFenceChange(t *testing.T, s scopes.Store) {
	ch, ok := s.(scopes.Changer)
	if !ok {
		t.Skip("the store changes no record in place: it is no scopes.Changer")
	}
	ctx := context.Background()
	now := time.Now()
	later := now.Add(time.Minute)
	patch := scopes.Patch{Set: map[string]json.RawMessage{"m": json.RawMessage(`true`)}, Incr: map[string]json.Number{"n": "1"}}
	for _, tc := range []struct {
		name string
		c    scopes.Change
	}{
		{"visit", scopes.Change{Hit: true}},
		{"save", scopes.Change{Data: json.RawMessage(`{"n":2}`), IfVersion: 1}},
		{"patch", scopes.Change{Patch: &patch}},
	} {
		rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
		rec.Fence = 5
		rec = mustSave(t, s, rec)
		c := tc.c
		c.Rev, c.LastVisit, c.Expires = scopes.NewRev(), later, later.Add(time.Hour)
		got, found, ok, err := ch.Change(ctx, rec.Key, c, later)
		switch {
		case errors.Is(err, scopes.ErrUnchangeable):
			mustHold(t, s, rec, later)
			continue
		case err != nil || !found || !ok:
			t.Fatalf("%s of a fenced record = found %v, ok %v, %v", tc.name, found, ok, err)
		}
		if got.Fence != rec.Fence || got.Rev != c.Rev {
			t.Errorf("%s of a fenced record returned fence %d, rev %q; want %d, %q", tc.name, got.Fence, got.Rev, rec.Fence, c.Rev)
		}
		loaded, found := mustLoad(t, s, rec.Key, later)
		if !found || loaded.Fence != rec.Fence || loaded.Rev != c.Rev {
			t.Errorf("after a %s of a fenced record: found %v, fence %d, rev %q; want fence %d, rev %q", tc.name, found, loaded.Fence, loaded.Rev, rec.Fence, c.Rev)
		}
	}
}
