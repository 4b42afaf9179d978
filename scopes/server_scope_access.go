package scopes

import (
	"context"
	"slices"
	"strings"
)

// ServerScopeAccess is who reaches the server scope and what they count as
// sensitive in it.
type ServerScopeAccess struct {
	// Settings are the server defaults, which say where the scope lives.
	Settings Effective
	// Writers are the apps that may write it, in name order (any case).
	Writers []string
	// SensitiveKeys are the data keys that the server defaults or any app
	// mask: every app reads the server scope, each with its own idea of
	// what is sensitive, so a view of it masks them all.
	SensitiveKeys []string
}

// ServerScopeAccess returns who may write the server scope and the data
// keys a view of it masks.
func (d *Directory) ServerScopeAccess(ctx context.Context) (ServerScopeAccess, error) {
	server, err := d.config.ServerLayer(ctx)
	if err != nil {
		return ServerScopeAccess{}, configError(err)
	}
	apps, err := d.config.Apps(ctx)
	if err != nil {
		return ServerScopeAccess{}, configError(err)
	}
	acc := ServerScopeAccess{Settings: Resolve(server, nil)}
	acc.SensitiveKeys = slices.Clone(acc.Settings.Settings.SensitiveKeys)
	for _, a := range apps {
		set := Resolve(server, a.Layer).Settings
		if set.ServerScopeWrite {
			acc.Writers = append(acc.Writers, a.Name)
		}
		for _, k := range set.SensitiveKeys {
			if !slices.ContainsFunc(acc.SensitiveKeys, func(seen string) bool { return strings.EqualFold(seen, k) }) {
				acc.SensitiveKeys = append(acc.SensitiveKeys, k)
			}
		}
	}
	slices.SortFunc(acc.Writers, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return acc, nil
}
