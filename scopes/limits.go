package scopes

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Limits bound what one app may hold and create, so that one API key
// cannot take what every app shares (Settings.Limits); 0 is no limit.
type Limits struct {
	// MaxScopes bounds the live scopes of each kind, in any storage.
	MaxScopes int64
	// MaxMemory bounds the bytes the app's scopes take in the memory
	// storage, both kinds together (see HeldBytes).
	MaxMemory int64
	// MaxCreateRate bounds the scopes the app creates per second on one
	// instance, with bursts of as many.
	MaxCreateRate int64
}

// countFresh is how long a storage's count of an app's live scopes serves
// the maxScopes check of the creates that follow it (memory counts exactly
// at every create): a count costs the storage a query, and a create within
// the window is added to it.
const countFresh = 10 * time.Second

// limiter is the engine's bookkeeping for Limits.
type limiter struct {
	creates sync.Map // app → *bucket
	counts  sync.Map // countKey → *liveCount
	// memory is the memory storage, set by the first request that
	// reaches it, for the budget check of every release.
	memory atomic.Pointer[MemoryHolder]
}

type countKey struct {
	storage, app string
	kind         Kind
}

// liveCount is a storage's count of one app's live scopes of one kind, with
// the creates this instance made since.
type liveCount struct {
	mu sync.Mutex
	n  int64
	at time.Time
}

// bucket is a token bucket: it fills by rate tokens a second, up to burst.
type bucket struct {
	mu     sync.Mutex
	tokens float64
	at     time.Time
}

// take spends a token when there is one.
func (b *bucket) take(rate, burst float64, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.at.IsZero() {
		b.tokens = burst
	} else if d := now.Sub(b.at); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*rate)
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// admitCreate checks a new scope of key against the app's create rate and
// live scope limit, before anything is written.
func (e *Engine) admitCreate(ctx context.Context, t target, key Key, now time.Time) error {
	lim := t.limits
	if lim.MaxCreateRate > 0 {
		b, _ := e.limits.creates.LoadOrStore(key.App, &bucket{})
		if rate := float64(lim.MaxCreateRate); !b.(*bucket).take(rate, rate, now) {
			return Errorf(ETooManyRequests, "app %q creates scopes faster than its limit of %d a second on this instance (maxCreateRate): try again in a second; an administrator can raise maxCreateRate for the app", key.App, lim.MaxCreateRate)
		}
	}
	if lim.MaxScopes <= 0 || !serverSide(t.name) {
		// Cookie scopes live in browsers: they take nothing here, and
		// cannot be counted.
		return nil
	}
	n, err := e.liveScopes(ctx, t, key, now)
	if ErrorCode(err) == EUnsupported {
		// A storage that cannot count (memcached) bounds itself: it evicts
		// what does not fit. maxScopes does not apply there (scopes/README.md).
		return nil
	}
	if err != nil {
		// The limit protects capacity, not data: a count that failed
		// lets the create through rather than fail it for that.
		e.Logger.Warn("could not count live scopes for maxScopes; the create goes ahead", "storage", t.name, "app", key.App, "kind", key.Kind, "err", err)
		return nil
	}
	if n >= lim.MaxScopes {
		return Errorf(EQuotaExceeded, "app %q holds %d live %s scopes, its limit (maxScopes %d): end the ones it no longer needs, or an administrator raises maxScopes for the app", key.App, n, key.Kind, lim.MaxScopes)
	}
	return nil
}

// liveScopes returns the live scopes of key's app and kind in t's storage,
// this create counted when the count came from a recent query.
func (e *Engine) liveScopes(ctx context.Context, t target, key Key, now time.Time) (int64, error) {
	if t.holder != nil {
		return t.holder.Held(key.App, key.Kind).Scopes, nil
	}
	c, _ := e.limits.counts.LoadOrStore(countKey{t.name, key.App, key.Kind}, &liveCount{})
	lc := c.(*liveCount)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.at.IsZero() || now.Sub(lc.at) >= countFresh || now.Before(lc.at) {
		n, _, err := t.store.Count(ctx, key.App, key.Kind, now)
		if err != nil {
			return 0, err
		}
		lc.n, lc.at = n, now
	}
	n := lc.n
	lc.n++
	return n, nil
}

// admitMemory checks a write to the memory storage that makes what it
// holds grow by grow bytes against the app's maxMemory and the instance's
// MemoryBudget; copies of scopes in other storages give way first.
func (e *Engine) admitMemory(t target, app string, grow int64) error {
	if t.holder == nil || grow <= 0 {
		return nil
	}
	if max := t.limits.MaxMemory; max > 0 {
		if held := heldByApp(t.holder, app); held+grow > max {
			return Errorf(EQuotaExceeded, "app %q holds %s in the memory storage and this write would take it over its limit (maxMemory %s): end scopes it no longer needs or keep less in them, or an administrator raises maxMemory or moves the app to a shared storage",
				app, FormatSizeApprox(held), FormatSize(max))
		}
	}
	if over := e.overBudget(grow); over > 0 {
		e.tier.evict(over)
	}
	if e.overBudget(grow) > 0 {
		held := t.holder.HeldTotal().Bytes
		e.Logger.Warn("memory budget reached: a write to the memory storage is refused", "app", app, "held", held, "copies", e.tier.bytes.Load(), "budget", e.MemoryBudget)
		return Errorf(EQuotaExceeded, "this instance's memory budget (--memory-budget %s) is used up: the memory storage holds %s; try again after scopes end, or an operator raises --memory-budget or moves apps to a shared storage",
			FormatSize(e.MemoryBudget), FormatSizeApprox(held))
	}
	return nil
}

// heldByApp is what app's scopes of both kinds take in h.
func heldByApp(h MemoryHolder, app string) int64 {
	return h.Held(app, Session).Bytes + h.Held(app, Client).Bytes
}

// overBudget is how many bytes the instance would hold over MemoryBudget
// with grow more (0: none, or no budget): the memory storage's scopes and
// the engine's copies of other storages' scopes together.
func (e *Engine) overBudget(grow int64) int64 {
	budget := e.MemoryBudget
	if budget <= 0 {
		return 0
	}
	held := e.tier.bytes.Load() + grow
	if h := e.memoryHolder(); h != nil {
		held += h.HeldTotal().Bytes
	}
	return max(0, held-budget)
}

// MemoryHeld reports what this instance holds in memory: the memory
// storage's scopes, and the copies of scopes in other storages.
func (e *Engine) MemoryHeld() (storage, copies Usage) {
	if h := e.memoryHolder(); h != nil {
		storage = h.HeldTotal()
	}
	return storage, Usage{Scopes: int64(e.tier.size()), Bytes: e.tier.bytes.Load()}
}

// memoryHolder is the memory storage once a request reached it, else nil.
func (e *Engine) memoryHolder() MemoryHolder {
	if h := e.limits.memory.Load(); h != nil {
		return *h
	}
	return nil
}

// release gives back an entry that hold returned, and drops copies of
// scopes when the instance is over its memory budget.
func (e *Engine) release(tk tierKey, ent *tierEntry, now time.Time) {
	e.tier.release(tk, ent, now)
	if over := e.overBudget(0); over > 0 {
		e.tier.evict(over)
	}
}
