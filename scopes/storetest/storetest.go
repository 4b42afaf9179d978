// Package storetest is the conformance suite that every scopes.Store passes:
// memory, file and each connection type run the same cases, so that the
// engine can rely on one behaviour whatever the storage.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Run runs every conformance case against stores made by open. Each case
// calls open once and needs a new, empty store from it; Run closes the store
// when the case ends.
func Run(t *testing.T, open func(t *testing.T) scopes.Store) {
	RunExcept(t, open, nil)
}

// RunExcept is Run for a store that cannot do everything a Store may: each
// case named in skip (a name as Run reports it, such as "List" or "Count")
// is skipped with its reason, which says what the storage lacks. A name
// that is no case fails the test, so that a renamed case is not skipped
// silently.
func RunExcept(t *testing.T, open func(t *testing.T) scopes.Store, skip map[string]string) {
	for name := range skip {
		if !slices.ContainsFunc(cases, func(c testCase) bool { return c.name == name }) {
			t.Errorf("storetest: no case %q to skip", name)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if why, ok := skip[tc.name]; ok {
				t.Skip(why)
			}
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.run(t, s)
		})
	}
}

// testCase is one conformance case.
type testCase struct {
	name string
	run  func(t *testing.T, s scopes.Store)
}

var cases = []testCase{
	{"SaveLoadRoundTrip", testSaveLoadRoundTrip},
	{"EmptyDataLoadsAsObject", testEmptyData},
	{"SaveCopiesData", testSaveCopiesData},
	{"LoadKnown", testLoadKnown},
	{"SaveOverwrites", testSaveOverwrites},
	{"LoadMissing", testLoadMissing},
	{"Expired", testExpired},
	{"WriteAbsentCreates", testWriteAbsent},
	{"WriteAbsentMeetsLive", testWriteAbsentMeetsLive},
	{"WriteAbsentTakesOverExpired", testWriteAbsentExpired},
	{"WriteRevMatches", testWriteRev},
	{"WriteRevStale", testWriteRevStale},
	{"WriteRevGone", testWriteRevGone},
	{"WriteAny", testWriteAny},
	{"WriteResentAppliesOnce", testWriteResent},
	{"WriteNeedsRev", testWriteNeedsRev},
	{"Delete", testDelete},
	{"KeysIsolated", testKeysIsolated},
	{"InvalidKind", testInvalidKind},
	{"List", testList},
	{"ListLimitZero", testListLimitZero},
	{"Count", testCount},
	{"DeleteExpiredLimit", testDeleteExpired},
	{"SharedKinds", testSharedKinds},
	{"SharedKindsList", testSharedKindsList},
	{"SharedKindsCount", testSharedKindsCount},
	{"SharedKindsDeleteExpired", testSharedKindsDeleteExpired},
	{"FenceRoundTrip", testFenceRoundTrip},
	{"FenceChange", testFenceChange},
	{"ConcurrentUpdateSameKey", testConcurrentSameKey},
	{"ConcurrentUpdateDifferentKeys", testConcurrentDifferentKeys},
	{"Ping", testPing},
}

// newRecord returns a record of app's kind scope for a new cfid, expiring
// an hour after now.
func newRecord(app string, kind scopes.Kind, now time.Time, data string) scopes.Record {
	return scopes.Record{
		Key:         scopes.Key{App: app, Kind: kind, CFID: scopes.NewCFID()},
		CFToken:     "0",
		TimeCreated: now,
		LastVisit:   now,
		Expires:     now.Add(time.Hour),
		Version:     1,
		Rev:         scopes.NewRev(),
		Data:        json.RawMessage(data),
	}
}

// mustSave writes rec whatever is stored, with a new Rev unless it has one.
func mustSave(t *testing.T, s scopes.Store, rec scopes.Record) scopes.Record {
	t.Helper()
	if rec.Rev == "" {
		rec.Rev = scopes.NewRev()
	}
	res, err := s.Write(context.Background(), rec, scopes.ExpectAny, rec.TimeCreated)
	if err != nil || !res.Written {
		t.Fatalf("Write %v = %+v, %v; want written", rec.Key, res, err)
	}
	return res.Rec
}

func mustLoad(t *testing.T, s scopes.Store, key scopes.Key, now time.Time) (scopes.Record, bool) {
	t.Helper()
	rec, found, err := s.Load(context.Background(), key, now)
	if err != nil {
		t.Fatalf("Load %v: %v", key, err)
	}
	return rec, found
}

// equalRecords reports how got differs from want, comparing times at the
// millisecond precision that stored layouts keep.
func equalRecords(got, want scopes.Record) error {
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	switch {
	case got.Key != want.Key:
		return fmt.Errorf("key %v, want %v", got.Key, want.Key)
	case got.CFToken != want.CFToken:
		return fmt.Errorf("cftoken %q, want %q", got.CFToken, want.CFToken)
	case ms(got.TimeCreated) != ms(want.TimeCreated):
		return fmt.Errorf("timecreated %v, want %v", got.TimeCreated, want.TimeCreated)
	case ms(got.LastVisit) != ms(want.LastVisit):
		return fmt.Errorf("lastvisit %v, want %v", got.LastVisit, want.LastVisit)
	case got.HitCount != want.HitCount:
		return fmt.Errorf("hitcount %d, want %d", got.HitCount, want.HitCount)
	case ms(got.Expires) != ms(want.Expires):
		return fmt.Errorf("expires %v, want %v", got.Expires, want.Expires)
	case got.Version != want.Version:
		return fmt.Errorf("version %d, want %d", got.Version, want.Version)
	case got.Rev != want.Rev:
		return fmt.Errorf("rev %q, want %q", got.Rev, want.Rev)
	case got.Fence != want.Fence:
		return fmt.Errorf("fence %d, want %d", got.Fence, want.Fence)
	case !bytes.Equal(got.Data, want.Data):
		return fmt.Errorf("data %s, want %s", got.Data, want.Data)
	}
	return nil
}

// counter reads the "n" member of a record's data.
func counter(t *testing.T, rec scopes.Record) int {
	t.Helper()
	var d struct{ N int }
	if err := json.Unmarshal(rec.Data, &d); err != nil {
		t.Fatalf("data %s: %v", rec.Data, err)
	}
	return d.N
}
