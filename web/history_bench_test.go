package web_test

import (
	"context"
	"testing"

	"github.com/scopestore/scopestore/connections/memory"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
)

// memoryOnly is the memory storage alone.
type memoryOnly struct{ s scopes.Store }

func (m memoryOnly) Store(context.Context, string) (scopes.Store, error) { return m.s, nil }
func (m memoryOnly) Names(context.Context, scopes.Kind) ([]string, error) {
	return []string{scopes.StorageMemory}, nil
}
func (m memoryOnly) Open() map[string]scopes.Store {
	return map[string]scopes.Store{scopes.StorageMemory: m.s}
}

// BenchmarkEngineObservers is what the console's History adds to a scope
// operation: a load of a 2 KiB session from the memory storage (the
// cheapest operation, where an observer weighs most) with no observer, with
// the Prometheus metrics alone (before the charts), and with the metrics and
// the History behind scopes.Observers (as serve wires them). Compare with
//
//	go test -run '^$' -bench EngineObservers -count 10 ./web > b.txt && benchstat -col /observer b.txt
func BenchmarkEngineObservers(b *testing.B) {
	for _, name := range []string{"none", "metrics", "metrics+history"} {
		eng := scopes.NewEngine(memoryOnly{memory.New()})
		switch name {
		case "metrics":
			eng.Observer = web.NewMetrics(eng)
		case "metrics+history":
			eng.Observer = scopes.Observers{web.NewMetrics(eng), scopes.NewHistory(nil)}
		}
		set := scopes.Resolve(nil, nil).Settings
		ctx := context.Background()
		sc, err := eng.Create(ctx, set, "shop", scopes.Session, benchSessionData(benchDataSize))
		if err != nil {
			b.Fatal(err)
		}
		key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: sc.CFID}
		b.Run("observer="+name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := eng.Load(ctx, set, key); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("observer="+name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := eng.Load(ctx, set, key); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
