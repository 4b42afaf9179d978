package memory_test

import (
	"testing"

	"github.com/scopestore/scopestore/connections/memory"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/scopes/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) scopes.Store { return memory.New() })
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(*testing.B) scopes.Store { return memory.New() })
}
