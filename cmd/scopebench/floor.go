package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/scopestore/scopestore/connections/redis"
	"github.com/scopestore/scopestore/scopes"
)

// The floor servers: bare servers whose storage is scopestore's own Redis
// storage (connections/redis), with nothing of the rest of scopestore: no
// auth, no validation, no metrics, and of the engine only its copy of each
// scope. They measure what the storage's contract (a compare-and-set write
// on the rev read before, its exactly-once marker, the expiry index and,
// with cluster = false, the announcement to the other instances) costs by
// itself, against bare-redis's GET and SET.
const (
	floorRedis      = "floor-redis"
	floorRedisLocal = "floor-redis-local"
	// floorLockRedis is floor-redis's lock routes against bare-redis-lock.
	floorLockRedis = "floor-lock-redis"
)

// floorBare keeps scopes in scopestore's Redis storage, and the last
// record it loaded or wrote of each, as scopestore's engine does: a save is
// a compare-and-set on that record's rev (a create, without a record,
// expects no scope). With
// local set, a load is answered from that record when there is one, as
// with cluster = false, a save is announced to the other instances, and
// their announcements drop the records they wrote.
type floorBare struct {
	store *redis.Store
	local bool
	mu    sync.Mutex
	// records are the last loaded or written record of each scope.
	records map[scopes.Key]scopes.Record
	// drops counts the announcements received: a record read or written
	// while one arrived may be older than the write it announced, and is
	// not kept (the engine's stale copies).
	drops uint64
}

// newFloorBare opens scopestore's Redis storage under prefix+"floor:", and
// with local set subscribes to the other instances' announcements.
func newFloorBare(rawURL, prefix string, local bool) (*floorBare, error) {
	if prefix == "" {
		return nil, errors.New("-prefix is required: every key must be under the run's prefix")
	}
	st, err := redis.Open(context.Background(), scopes.Connection{Name: "floor", Kind: "cache", Type: "redis",
		Params: map[string]string{"url": rawURL, "prefix": prefix + "floor:"}})
	if err != nil {
		return nil, err
	}
	f := &floorBare{store: st, local: local, records: map[scopes.Key]scopes.Record{}}
	if local {
		st.Watch(func(k scopes.Key) {
			f.mu.Lock()
			delete(f.records, k)
			f.drops++
			f.mu.Unlock()
		})
	}
	return f, nil
}

func (f *floorBare) key(app, cfid string) scopes.Key {
	return scopes.Key{App: app, Kind: scopes.Session, CFID: cfid}
}

// record returns the record kept of k, and the announcements counted so far.
func (f *floorBare) record(k scopes.Key) (scopes.Record, bool, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec, ok := f.records[k]
	return rec, ok, f.drops
}

// keep keeps rec unless an announcement arrived since drops was read (of
// any scope: coarser than the engine's per-scope stale mark, and enough for
// a bench whose one server hears no other instance), or a newer record of
// the scope is kept already.
func (f *floorBare) keep(rec scopes.Record, drops uint64) {
	f.mu.Lock()
	if cur, ok := f.records[rec.Key]; f.drops == drops && (!ok || cur.Version <= rec.Version) {
		f.records[rec.Key] = rec
	}
	f.mu.Unlock()
}

func (f *floorBare) load(ctx context.Context, app, cfid string) ([]byte, bool, error) {
	k := f.key(app, cfid)
	rec, ok, drops := f.record(k)
	if ok && f.local {
		return rec.Data, true, nil
	}
	rec, found, err := f.store.Load(ctx, k, time.Now())
	if err != nil || !found {
		return nil, false, err
	}
	f.keep(rec, drops)
	return rec.Data, true, nil
}

func (f *floorBare) save(ctx context.Context, app, cfid string, value []byte) error {
	now := time.Now()
	k := f.key(app, cfid)
	// Without a record, a save is a create, as the bench's POST is: its
	// cycles always load before they save.
	cur, ok, drops := f.record(k)
	expect := scopes.ExpectAbsent
	if ok {
		expect = cur.Rev
	}
	rec := scopes.Record{Key: k, Rev: scopes.NewRev(), TimeCreated: now, LastVisit: now,
		Expires: now.Add(bareTimeout), Version: cur.Version + 1, Data: json.RawMessage(value)}
	write := f.store.Write
	if f.local {
		write = f.store.WriteAnnounced
	}
	res, err := write(ctx, rec, expect, now)
	switch {
	case err != nil:
		// As the engine does: a record whose write failed is not trusted.
		f.forget(k)
		return err
	case !res.Written:
		// The engine would apply the change again on the stored record; a
		// bare server has no such answer, and the bench's clients never
		// share a scope: a fault. The stored record replaces the kept one.
		if res.Found {
			f.keep(res.Rec, drops)
		} else {
			f.forget(k)
		}
		return fmt.Errorf("floor: the write of %s was refused: the stored scope is not the one this server read", cfid)
	}
	f.keep(res.Rec, drops)
	return nil
}

// forget drops the record kept of k.
func (f *floorBare) forget(k scopes.Key) {
	f.mu.Lock()
	delete(f.records, k)
	f.mu.Unlock()
}

// lock takes name as scopestore's Redis lock storage does: one script that
// also counts the fence.
func (f *floorBare) lock(ctx context.Context, app, name, token string, lease time.Duration) (bool, error) {
	_, _, ok, err := f.store.TryLock(ctx, app, scopes.LockRequest{Name: name, Type: scopes.LockExclusive, Token: token, Lease: lease}, time.Now())
	return ok, err
}

// unlock releases name as scopestore's Redis lock storage does: one script
// that also publishes the release to the waiters.
func (f *floorBare) unlock(ctx context.Context, app, name, token string) (bool, error) {
	return f.store.Unlock(ctx, app, name, token, time.Now())
}

func (f *floorBare) close() error { return f.store.Close() }

// floorVersus measures the floor server against bare-redis in turns, and
// names the result name: the load+save cycle, or with lock set lockOp
// against bare-redis-lock.
func (b *bench) floorVersus(ctx context.Context, name, server string, lock bool) (Result, error) {
	baseline, setup, op := bareRedis, b.createScopes, b.cycleOp
	if lock {
		baseline, setup, op = bareRedisLock, noSetup, b.lockOp
	}
	res := Result{Baseline: baseline}
	f, err := b.startBare(ctx, server)
	if err != nil {
		return res, err
	}
	defer f.Stop()
	c, err := b.startBare(ctx, bareRedis)
	if err != nil {
		return res, err
	}
	defer c.Stop()
	s, base, err := b.pair(ctx,
		b.spec(name, setup(f.addr, ""), op(f.addr, "")),
		b.spec(baseline+" (with "+name+")", setup(c.addr, ""), op(c.addr, "")))
	if err != nil {
		return res, err
	}
	r := throughput(s, base, baseline)
	r.note = "scopestore's Redis storage behind the bare server's routes, with the engine's copy of each scope and nothing else of scopestore: what the storage's contract costs by itself (see the README's Floors)"
	return r, nil
}

// noSetup is a loadSpec setup that prepares nothing.
func noSetup(string, string) func(context.Context, *worker) error { return nil }
