package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// benchKeys is how many scopes the benchmarks spread their operations over.
const benchKeys = 1000

// Benchmark measures Load, Save and Update of scopes with 2 KiB of data on
// stores made by open, reporting allocations.
func Benchmark(b *testing.B, open func(b *testing.B) scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	data := []byte(`{"blob":"` + strings.Repeat("x", 2048-len(`{"blob":""}`)) + `"}`)

	setup := func(b *testing.B) (scopes.Store, []scopes.Record) {
		s := open(b)
		b.Cleanup(func() { _ = s.Close() })
		recs := make([]scopes.Record, benchKeys)
		for i := range recs {
			recs[i] = newRecord("bench", scopes.Session, now, string(data))
			if err := s.Save(ctx, recs[i]); err != nil {
				b.Fatalf("Save: %v", err)
			}
		}
		return s, recs
	}

	b.Run("Load", func(b *testing.B) {
		s, recs := setup(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, found, err := s.Load(ctx, recs[i%benchKeys].Key, now); err != nil || !found {
				b.Fatalf("Load = %v, %v", found, err)
			}
			i++
		}
	})
	b.Run("Save", func(b *testing.B) {
		s, recs := setup(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			rec := recs[i%benchKeys]
			rec.Version += int64(i)
			if err := s.Save(ctx, rec); err != nil {
				b.Fatalf("Save: %v", err)
			}
			i++
		}
	})
	b.Run("Update", func(b *testing.B) {
		s, recs := setup(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_, err := s.Update(ctx, recs[i%benchKeys].Key, now, func(cur scopes.Record, found bool) (scopes.Record, error) {
				cur.Version++
				cur.LastVisit = now
				cur.Data = data
				return cur, nil
			})
			if err != nil {
				b.Fatalf("Update: %v", err)
			}
			i++
		}
	})
}
