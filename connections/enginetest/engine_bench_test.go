package enginetest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/connections/memory"
	"github.com/scopestore/scopestore/scopes"
)

// benchStorages holds two memory stores: "memory" itself, and "tiered",
// which the engine treats as any other storage (cluster = false puts the
// in-memory tier in front of it).
type benchStorages struct{ mem, tiered scopes.Store }

func (s benchStorages) Store(_ context.Context, name string) (scopes.Store, error) {
	switch name {
	case "memory":
		return s.mem, nil
	case "tiered":
		return s.tiered, nil
	}
	return nil, scopes.Errorf(scopes.EInvalidSettings, "unknown storage %q", name)
}

func (s benchStorages) Names(context.Context, scopes.Kind) ([]string, error) {
	return []string{"memory", "tiered"}, nil
}

func (s benchStorages) Open() map[string]scopes.Store {
	return map[string]scopes.Store{"memory": s.mem, "tiered": s.tiered}
}

// BenchmarkEngineCycle is the engine's part of one API cycle: a load and a
// save of a 2 KiB session, with no HTTP and no JSON.
func BenchmarkEngineCycle(b *testing.B) {
	for _, c := range []struct {
		name    string
		storage string
		cluster bool
	}{
		{"memory", "memory", false},
		{"tiered", "tiered", false},
		{"cluster", "tiered", true},
	} {
		b.Run(c.name, func(b *testing.B) {
			eng := scopes.NewEngine(benchStorages{mem: memory.New(), tiered: memory.New()})
			set := scopes.Resolve(nil, nil).Settings
			set.Session.Storage, set.Session.Cluster = c.storage, c.cluster
			ctx := context.Background()
			data := []byte(`{"user":{"id":48213},"hits":0,"pad":"` + strings.Repeat("x", 2000) + `"}`)
			sc, err := eng.Create(ctx, set, "shop", scopes.Session, data)
			if err != nil {
				b.Fatal(err)
			}
			key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: sc.CFID}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := eng.Load(ctx, set, key); err != nil {
					b.Fatal(err)
				}
				if _, err := eng.Save(ctx, set, key, data, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
