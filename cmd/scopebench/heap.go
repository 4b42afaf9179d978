package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/scopestore/scopestore/connections/memory"
	"github.com/scopestore/scopestore/scopes"
)

// memoryOnly is the storages of an engine with the memory storage alone.
type memoryOnly struct{ st *memory.Store }

func (m memoryOnly) Store(_ context.Context, name string) (scopes.Store, error) {
	if name != scopes.StorageMemory {
		return nil, scopes.Errorf(scopes.EInvalidSettings, "unknown storage %q", name)
	}
	return m.st, nil
}

func (m memoryOnly) Names(context.Context, scopes.Kind) ([]string, error) {
	return []string{scopes.StorageMemory}, nil
}

func (m memoryOnly) Open() map[string]scopes.Store {
	return map[string]scopes.Store{scopes.StorageMemory: m.st}
}

// heapPerScope creates n sessions with data through an engine on the memory
// storage, as the API does (each request brings its own copy of the data),
// and returns the growth of the live heap per scope.
func heapPerScope(n int, data []byte) (float64, error) {
	if n < 1 {
		return 0, fmt.Errorf("heap-memory needs at least one scope")
	}
	st := memory.New()
	eng := scopes.NewEngine(memoryOnly{st})
	set := scopes.Resolve(nil, nil).Settings
	set.Session.Storage = scopes.StorageMemory
	set.Limits = scopes.Limits{} // what is measured is the heap, not the limits
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		if _, err := eng.Create(ctx, set, benchApp, scopes.Session, withSeq(data, uint64(i))); err != nil {
			return 0, err
		}
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(eng)
	runtime.KeepAlive(st)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n), nil
}
