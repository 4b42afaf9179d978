package memory

import (
	"sync"
	"sync/atomic"

	"github.com/scopestore/scopestore/scopes"
)

// usage counts what the store holds, in all and per app, as records come
// and go, so that reading it (scopes.MemoryHolder) walks nothing.
type usage struct {
	total counter
	apps  sync.Map // appKind → *counter
}

type counter struct {
	scopes, bytes atomic.Int64
}

func (c *counter) add(scopes, bytes int64) {
	c.scopes.Add(scopes)
	c.bytes.Add(bytes)
}

func (c *counter) load() scopes.Usage {
	return scopes.Usage{Scopes: c.scopes.Load(), Bytes: c.bytes.Load()}
}

type appKind struct {
	app  string
	kind scopes.Kind
}

func (u *usage) app(k appKind) *counter {
	if c, ok := u.apps.Load(k); ok {
		return c.(*counter)
	}
	c, _ := u.apps.LoadOrStore(k, &counter{})
	return c.(*counter)
}

// replaced accounts for old (when had) giving way to new (when has).
func (u *usage) replaced(old scopes.Record, had bool, rec scopes.Record, has bool) {
	var n, b int64
	if had {
		n, b = n-1, b-scopes.HeldBytes(old)
	}
	if has {
		n, b = n+1, b+scopes.HeldBytes(rec)
	}
	if n == 0 && b == 0 {
		return
	}
	k := appKind{rec.App, rec.Kind}
	if !has {
		k = appKind{old.App, old.Kind}
	}
	u.total.add(n, b)
	u.app(k).add(n, b)
}

// reset forgets everything, for Close.
func (u *usage) reset() {
	u.total.scopes.Store(0)
	u.total.bytes.Store(0)
	u.apps.Clear()
}

var _ scopes.MemoryHolder = (*Store)(nil)

// Held returns what the store holds of app's scopes of kind k, expired
// ones not yet deleted included.
func (s *Store) Held(app string, k scopes.Kind) scopes.Usage {
	c, ok := s.usage.apps.Load(appKind{app, k})
	if !ok {
		return scopes.Usage{}
	}
	return c.(*counter).load()
}

// HeldTotal returns what the store holds in all.
func (s *Store) HeldTotal() scopes.Usage { return s.usage.total.load() }
