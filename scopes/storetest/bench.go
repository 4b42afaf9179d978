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

// Benchmark measures Load and a compare-and-set Write of scopes with 2 KiB of data on
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
			if _, err := s.Write(ctx, recs[i], scopes.ExpectAbsent, now); err != nil {
				b.Fatalf("Write: %v", err)
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
	b.Run("Write", func(b *testing.B) {
		s, recs := setup(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			cur := &recs[i%benchKeys]
			upd := *cur
			upd.Version++
			upd.Rev = scopes.NewRev()
			res, err := s.Write(ctx, upd, cur.Rev, now)
			if err != nil || !res.Written {
				b.Fatalf("Write = %+v, %v", res, err)
			}
			*cur = res.Rec
			i++
		}
	})
}
