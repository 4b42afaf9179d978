package admin

import (
	"context"
	"strings"
	"sync"

	"github.com/scopestore/scopestore/scopes"
)

// Settings keep a connection's storage name in lower case, the form that
// every lookup compares; pages show it as the connection was named
// ("SessionCache"), as Lucee's names ignore case but keep it.

// storageTitlesKey carries a page's storageTitles in its render context.
type storageTitlesKey struct{}

// storageTitles reads the connections' names once per page, and only when
// the page shows a connection's storage.
type storageTitles struct {
	once   sync.Once
	load   func() map[string]string
	titles map[string]string
}

// withStorageTitles returns ctx with the titles that storageTitle reads,
// loaded from the connections on first use.
func (a *Console) withStorageTitles(ctx context.Context) context.Context {
	if a.Connections == nil {
		return ctx
	}
	return context.WithValue(ctx, storageTitlesKey{}, &storageTitles{load: func() map[string]string {
		conns, err := a.Connections.Connections(ctx)
		if err != nil {
			// The page shows the stored form; the error shows elsewhere.
			a.Logger.Warn("read the connections' names for a page", "err", err)
			return nil
		}
		return scopes.StorageTitles(conns)
	}})
}

// storageTitle is a storage's name as pages show it: a connection's as it
// was named, a built-in storage's as it is.
func storageTitle(ctx context.Context, name string) string {
	if name == "" || scopes.BuiltInStorage(name) {
		return name
	}
	t, ok := ctx.Value(storageTitlesKey{}).(*storageTitles)
	if !ok {
		return name
	}
	t.once.Do(func() { t.titles = t.load() })
	if title, ok := t.titles[strings.ToLower(name)]; ok {
		return title
	}
	return name
}

// settingTitle is a setting's value as pages show it: a storage setting's
// storage named by storageTitle, any other value as it is.
func settingTitle(ctx context.Context, name, value string) string {
	if scopes.StorageSetting(name) {
		return storageTitle(ctx, value)
	}
	return value
}
