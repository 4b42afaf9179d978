package scopes

import (
	"context"
	"errors"
	"time"
)

// CleanBatch bounds each delete the cleaner sends to a storage.
const CleanBatch = 1000

// Sweep drops idle and expired scopes from memory: the cluster = false copies
// and the memory storage. It is cheap and meant to run every minute or so.
func (e *Engine) Sweep(ctx context.Context) (int, error) {
	e.tier.sweep(e.now(), e.IdleTime)
	st, ok := e.storages.Open()[StorageMemory]
	if !ok {
		return 0, nil
	}
	return e.deleteExpired(ctx, StorageMemory, st)
}

// Clean deletes expired scopes from every open storage but memory (which
// Sweep cleans) and cookie (which holds nothing here), in batches of
// CleanBatch. It returns the deletions by storage name and the failures
// joined.
func (e *Engine) Clean(ctx context.Context) (map[string]int, error) {
	deleted := map[string]int{}
	var errs []error
	for name, st := range e.storages.Open() {
		if name == StorageMemory || !serverSide(name) {
			continue
		}
		n, err := e.deleteExpired(ctx, name, st)
		deleted[name] = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return deleted, errors.Join(errs...)
}

// deleteExpired deletes st's expired scopes a batch at a time. After a full
// batch it pauses as long as the storage took to delete it (up to
// maxCleanPause) before it sends the next, so that while it catches up with
// many expired scopes it keeps the storage busy about half the time, and
// the requests served meanwhile keep their latency: on MariaDB, with
// 100,000 rows to delete, the p99 of the loads beside it went from 3.3–3.5×
// to 1.8–2.4× of their p99 without a cleaner (scopebench's cleaner
// scenario), for a run 15–40% longer. The memory storage, which serves no
// other process, is swept without pauses. The pause is measured on the wall
// clock, not on e.Now, which tests move at will.
func (e *Engine) deleteExpired(ctx context.Context, name string, st Store) (total int, err error) {
	if e.Observer != nil {
		defer func() { e.Observer.ObserveClean(name, total, err) }()
	}
	now := e.now()
	for ctx.Err() == nil {
		began := time.Now()
		keys, err := st.DeleteExpired(ctx, now, CleanBatch)
		took := time.Since(began)
		total += len(keys)
		if e.Ends != nil {
			// Those deleted are gone even when the batch then failed.
			e.Ends.Expired(ctx, keys)
		}
		if err != nil {
			return total, e.storageError(name, err)
		}
		if len(keys) < CleanBatch {
			break
		}
		if name != StorageMemory {
			e.cleanPause(ctx, min(took, maxCleanPause))
		}
	}
	return total, ctx.Err()
}

// maxCleanPause bounds the cleaner's pause between two batches, so that a
// storage slow to delete does not also hold up the cleaning of the others
// (Clean takes them one after another) twice as long.
const maxCleanPause = time.Second

// cleanPause waits d, or until ctx ends.
func (e *Engine) cleanPause(ctx context.Context, d time.Duration) {
	if e.pause != nil {
		e.pause(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
