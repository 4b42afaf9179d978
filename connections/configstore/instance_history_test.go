package configstore

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// The instances' last hour on every dialect: each instance's minutes are
// replaced when published again, read by the other instances (never by
// itself) with their latency histograms whole, and deleted past the hour.
func TestInstanceHistory(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := &env{dsn: b.dsn(t), dir: t.TempDir()}
			e.s = e.open(t, testKey)
			other := e.open(t, testKey) // a second instance on the same database

			m0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
			since := m0.Add(-59 * time.Minute)
			bucket := func(instance, storage string, minute int, ops int64) scopes.HistoryBucket {
				return scopes.HistoryBucket{Instance: instance, Storage: storage, Minute: m0.Add(time.Duration(minute) * time.Minute),
					Ops: ops, Errors: ops / 10, Latency: map[int]uint32{0: 1, 40: uint32(ops - 1)}}
			}
			a1 := bucket("a", "redis", 0, 100)
			a1.Live, a1.LiveCounted = 4200, true
			must(t, "publish a", e.s.PublishHistory(ctx, "a", []scopes.HistoryBucket{a1, bucket("a", "memory", 0, 5)}, since))
			// Published again, as after a failed commit: replaced, not added.
			a1.Ops, a1.Latency = 120, map[int]uint32{0: 20, 113: 100}
			must(t, "publish a again", e.s.PublishHistory(ctx, "a", []scopes.HistoryBucket{a1}, since))
			must(t, "publish b", other.PublishHistory(ctx, "b", []scopes.HistoryBucket{bucket("b", "redis", 1, 30)}, since))

			got, err := other.OtherHistory(ctx, "b", since)
			must(t, "b reads", err)
			if len(got) != 2 {
				t.Fatalf("b reads %d buckets, want a's 2: %+v", len(got), got)
			}
			mem, red := got[0], got[1]
			if mem.Storage != "memory" {
				mem, red = red, mem
			}
			if red.Instance != "a" || !red.Minute.Equal(m0) || red.Minute.Location() != time.UTC || red.Ops != 120 || red.Errors != 10 ||
				red.Live != 4200 || !red.LiveCounted || !maps.Equal(red.Latency, map[int]uint32{0: 20, 113: 100}) {
				t.Errorf("a's redis minute as b reads it: %+v", red)
			}
			if mem.Ops != 5 || mem.LiveCounted || !maps.Equal(mem.Latency, map[int]uint32{0: 1, 40: 4}) {
				t.Errorf("a's memory minute as b reads it: %+v", mem)
			}
			got, err = e.s.OtherHistory(ctx, "a", since)
			must(t, "a reads", err)
			if len(got) != 1 || got[0].Instance != "b" || got[0].Ops != 30 || !got[0].Minute.Equal(m0.Add(time.Minute)) {
				t.Errorf("a reads %+v, want b's minute only", got)
			}
			if got, _ := e.s.OtherHistory(ctx, "a", m0.Add(2*time.Minute)); len(got) != 0 {
				t.Errorf("since 12:02: %+v", got)
			}

			// An hour on: a publishes nothing new, and 12:00 is deleted, b's 12:01 kept.
			must(t, "prune", e.s.PublishHistory(ctx, "a", nil, m0.Add(time.Minute)))
			got, err = e.s.OtherHistory(ctx, "c", since)
			must(t, "c reads", err)
			if len(got) != 1 || got[0].Instance != "b" {
				t.Errorf("after the prune: %+v, want b's 12:01 only", got)
			}

			// Refused: another's bucket, a name the columns cannot hold.
			err = e.s.PublishHistory(ctx, "a", []scopes.HistoryBucket{bucket("b", "redis", 2, 1)}, since)
			wantCode(t, "another instance's bucket", err, scopes.EInvalid)
			err = e.s.PublishHistory(ctx, "", nil, since)
			wantCode(t, "no instance", err, scopes.EInvalid)
		})
	}
}
