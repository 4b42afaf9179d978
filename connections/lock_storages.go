package connections

import (
	"context"
	"sort"
	"strings"

	"github.com/scopestore/scopestore/scopes"
)

// lockTypes are the connection types whose stores implement scopes.Locker
// and which several instances share; SQLite can lock too, but a file is
// shared by one machine at most.
var lockTypes = map[string]bool{"redis": true, "mysql": true, "postgres": true}

var _ scopes.LockStorages = (*Registry)(nil)

// LockNames lists the storages that an app's lockStorage may name: memory
// and the storage connections of a type that can hold locks.
func (r *Registry) LockNames(ctx context.Context) ([]string, error) {
	conns, err := r.config.Connections(ctx)
	if err != nil {
		return nil, err
	}
	var extra []string
	for _, c := range conns {
		if c.Storage && lockTypes[c.Type] {
			extra = append(extra, strings.ToLower(c.Name))
		}
	}
	sort.Strings(extra)
	return append([]string{scopes.StorageMemory}, extra...), nil
}
