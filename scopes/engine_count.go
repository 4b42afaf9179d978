package scopes

import "context"

// Count returns the number of live scope instances of app's kind k in the
// storage its settings name, and whether the storage counts them exactly
// (see Store.Count). It reads the storage itself: cluster = false copies are
// written through, so the storage holds each of them. With k's management
// off the app has no scopes of k to reach, and the count is 0.
func (e *Engine) Count(ctx context.Context, set Settings, app string, k Kind) (n int64, exact bool, err error) {
	if k.Valid() && !set.Of(k).Management {
		return 0, true, nil
	}
	t, err := e.target(ctx, set, k)
	if err != nil {
		return 0, false, err
	}
	n, exact, err = t.store.Count(ctx, app, k, e.now())
	if err != nil {
		return 0, false, e.storageError(t.name, err)
	}
	return n, exact, nil
}
