package main

import (
	"context"
	"strings"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// storageNames maps a connection's storage name as settings keep it (lower
// case, the form lookups compare) to the name it was given: the command
// line prints SessionCache, as the console does, not sessioncache.
type storageNames map[string]string

// title is a storage's name as printed; a built-in one's is its own.
func (n storageNames) title(name string) string {
	if t, ok := n[strings.ToLower(name)]; ok {
		return t
	}
	return name
}

// settingValue is a setting's value as printed: a storage setting's value
// is a storage's title.
func (n storageNames) settingValue(setting, value string) string {
	if scopes.StorageSetting(setting) {
		return n.title(value)
	}
	return value
}

func storageNamesOf(conns []scopes.Connection) storageNames { return scopes.StorageTitles(conns) }

// storageNames reads the connections' names from the data directory; on a
// failure the names print as stored.
func (s *services) storageNames(ctx context.Context) storageNames {
	conns, err := s.manager.Connections(ctx)
	if err != nil {
		s.logger.Warn("read the connections' names", "err", err)
		return nil
	}
	return storageNamesOf(conns)
}

// storageNames reads the connections' names from the server; on a failure
// the names print as stored.
func (r *remote) storageNames(ctx context.Context) storageNames {
	conns, err := r.connections(ctx)
	if err != nil {
		return nil
	}
	return storageNamesOf(conns)
}

// connections reads the server's connections, never a password.
func (r *remote) connections(ctx context.Context) ([]scopes.Connection, error) {
	var answer struct {
		Connections []admin.APIConnection `json:"connections"`
	}
	if err := r.call(ctx, "GET", "/connections", nil, nil, &answer); err != nil {
		return nil, err
	}
	conns := make([]scopes.Connection, len(answer.Connections))
	for i, c := range answer.Connections {
		conns[i] = c.Connection()
	}
	return conns, nil
}
