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
// auth, no validation, no engine, no metrics. They measure what the
// storage's contract (a compare-and-set write, its exactly-once marker, the
// expiry index and, with cluster = false, the announcement to the other
// instances) costs by itself, against bare-redis's GET and SET.
const (
	floorRedis      = "floor-redis"
	floorRedisLocal = "floor-redis-local"
	// floorLockRedis is floor-redis's lock routes against bare-redis-lock.
	floorLockRedis = "floor-lock-redis"
)

// floorBare keeps scopes in scopestore's Redis storage; with local set, a
// load is answered from the copies this server wrote, as scopestore does
// with cluster = false, and a save is announced to the other instances.
type floorBare struct {
	store *redis.Store
	local bool
	mu    sync.RWMutex
	// copies are the scopes this server wrote, by cfid, with local set.
	copies map[string]scopes.Record
}

func newFloorBare(rawURL, prefix string, local bool) (*floorBare, error) {
	if prefix == "" {
		return nil, errors.New("-prefix is required: every key must be under the run's prefix")
	}
	st, err := redis.Open(context.Background(), scopes.Connection{Name: "floor", Kind: "cache", Type: "redis",
		Params: map[string]string{"url": rawURL, "prefix": prefix + "floor:"}})
	if err != nil {
		return nil, err
	}
	f := &floorBare{store: st, local: local, copies: map[string]scopes.Record{}}
	if local {
		st.Watch(func(k scopes.Key) {
			f.mu.Lock()
			delete(f.copies, k.CFID)
			f.mu.Unlock()
		})
	}
	return f, nil
}

func (f *floorBare) key(app, cfid string) scopes.Key {
	return scopes.Key{App: app, Kind: scopes.Session, CFID: cfid}
}

func (f *floorBare) load(ctx context.Context, app, cfid string) ([]byte, bool, error) {
	if f.local {
		f.mu.RLock()
		rec, ok := f.copies[cfid]
		f.mu.RUnlock()
		if ok {
			return rec.Data, true, nil
		}
	}
	rec, found, err := f.store.Load(ctx, f.key(app, cfid), time.Now())
	if err != nil || !found {
		return nil, false, err
	}
	return rec.Data, true, nil
}

func (f *floorBare) save(ctx context.Context, app, cfid string, value []byte) error {
	now := time.Now()
	expect := "*"
	if f.local {
		f.mu.RLock()
		if rec, ok := f.copies[cfid]; ok {
			expect = rec.Rev
		}
		f.mu.RUnlock()
	}
	rec := scopes.Record{Key: f.key(app, cfid), Rev: scopes.NewRev(), TimeCreated: now, LastVisit: now,
		Expires: now.Add(bareTimeout), Version: 1, Data: json.RawMessage(value)}
	write := f.store.Write
	if f.local {
		write = f.store.WriteAnnounced
	}
	res, err := write(ctx, rec, expect, now)
	if err != nil {
		return err
	}
	if !res.Written {
		return fmt.Errorf("floor: the write of %s was not applied", cfid)
	}
	if f.local {
		f.mu.Lock()
		f.copies[cfid] = res.Rec
		f.mu.Unlock()
	}
	return nil
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
		baseline, setup, op = bareRedis+"-lock", noSetup, b.lockOp
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
	r.note = "scopestore's Redis storage behind the bare server's routes, nothing else of scopestore: what the storage's contract costs by itself (see the README's Floors)"
	return r, nil
}

// noSetup is a loadSpec setup that prepares nothing.
func noSetup(string, string) func(context.Context, *worker) error { return nil }
