package redis

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// Named locks (scopes.Locker). Each lock (app, name) has up to four keys,
// which share the hash tag {L:<app>:<name>} so that one script reaches them
// all on one node in Cluster mode:
//
//	<prefix>{L:<app>:<name>}x  the exclusive holder's token, with PX the lease
//	<prefix>{L:<app>:<name>}r  the readonly holders: a sorted set of tokens
//	                           scored by their lease's end (ms, Redis's clock)
//	<prefix>{L:<app>:<name>}f  the fence counter, INCR on every lock taken;
//	                           kept without expiry, so that fences only grow
//	<prefix>{L:<app>:<name>}w  set, with a short PX, while an exclusive
//	                           request waits: new readonly requests wait too
//
// A name holding a brace moves the end of the hash tag, never its start,
// so a lock's keys still share their slot. Leases run on Redis's clock
// (TIME inside the scripts), so instances whose clocks differ agree on
// them. A release publishes "<app>:<name>" on <prefix>lock:released, which
// waiters subscribe to (WatchLock).
//
// An uncontended lock and its release are one script each: two round trips.
// An uncontended exclusive lock is SET NX PX and the fence's INCR inside
// its script, the least that Redis can do for it; the writer mark is
// cleared by the waiting request that set it (one that takes the lock
// without waiting leaves another's mark to lapse, within LockWriterMark).

var (
	_ scopes.Locker      = (*Store)(nil)
	_ scopes.LockWatcher = (*Store)(nil)
)

// lockScript is TryLock. KEYS: x, r, f, w. ARGV: type ("e" or "r"), token,
// lease (ms), waiting ("1" or "0"), writer mark (ms). It returns {1, fence,
// expires (ms)} when the lock is taken, else {0, type held ("exclusive",
// "readonly" or "waiting"), holders, a holder's token}.
var lockScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[3])
local n = 0
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  n = redis.call('ZCARD', KEYS[2])
end
if ARGV[1] == 'e' then
  if n == 0 and redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', lease) then
    if ARGV[4] == '1' then redis.call('DEL', KEYS[4]) end
    return {1, redis.call('INCR', KEYS[3]), now + lease}
  end
  if ARGV[4] == '1' then redis.call('SET', KEYS[4], '1', 'PX', ARGV[5]) end
  if n > 0 then return {0, 'readonly', n, redis.call('ZRANGE', KEYS[2], 0, 0)[1]} end
  return {0, 'exclusive', 1, redis.call('GET', KEYS[1]) or ''}
end
local x = redis.call('GET', KEYS[1])
if x then return {0, 'exclusive', 1, x} end
if redis.call('EXISTS', KEYS[4]) == 1 then return {0, 'waiting', n, ''} end
redis.call('ZADD', KEYS[2], now + lease, ARGV[2])
if redis.call('PTTL', KEYS[2]) < lease then redis.call('PEXPIRE', KEYS[2], lease) end
return {1, redis.call('INCR', KEYS[3]), now + lease}
`)

// unlockScript is Unlock. KEYS: x, r. ARGV: token, channel, message. It
// returns {1} when the token held a live lease, which it ends, and {0}
// when it did not; the release of the last live holder is published.
var unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return {1}
end
local s = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not s then return {0} end
redis.call('ZREM', KEYS[2], ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(s) <= now then return {0} end
if redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf') == 0 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return {1}
`)

// renewScript is Renew. KEYS: x, r. ARGV: token, lease (ms). It returns {the
// lease's new end (ms)}, or {0} when the token holds no live lease.
var renewScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], lease)
  return {now + lease}
end
local s = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not s or tonumber(s) <= now then return {0} end
redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
if redis.call('PTTL', KEYS[2]) < lease then redis.call('PEXPIRE', KEYS[2], lease) end
return {now + lease}
`)

// lockKeys returns the keys x, r, f and w of a lock.
func (s *Store) lockKeys(app, name string) []string {
	base := s.prefix + "{L:" + app + ":" + name + "}"
	return []string{base + "x", base + "r", base + "f", base + "w"}
}

// lockChannel is the channel on which releases are published.
func (s *Store) lockChannel() string { return s.prefix + "lock:released" }

func checkLockApp(app string) error {
	if app == "" || strings.ContainsAny(app, "{}:") {
		return scopes.Errorf(scopes.EInvalid, "app %q is empty or holds a brace or colon, which scopestore's Redis keys cannot hold", app)
	}
	return nil
}

// TryLock takes the lock in one script if it is free.
func (s *Store) TryLock(ctx context.Context, app string, req scopes.LockRequest, _ time.Time) (scopes.Lock, scopes.LockHolder, bool, error) {
	if err := checkLockApp(app); err != nil {
		return scopes.Lock{}, scopes.LockHolder{}, false, err
	}
	typ, waiting := "r", "0"
	if req.Type == scopes.LockExclusive {
		typ = "e"
	}
	if req.Waiting {
		waiting = "1"
	}
	keys := s.lockKeys(app, req.Name)
	reply, err := s.runScript(ctx, lockScript, keys[0], keys, []any{typ, req.Token, req.Lease.Milliseconds(), waiting, scopes.LockWriterMark.Milliseconds()})
	if err != nil {
		return scopes.Lock{}, scopes.LockHolder{}, false, fmt.Errorf("redis: lock %s: %w", req.Name, err)
	}
	if len(reply) < 3 {
		return scopes.Lock{}, scopes.LockHolder{}, false, fmt.Errorf("redis: lock %s: unexpected reply %v", req.Name, reply)
	}
	if ok, _ := reply[0].(int64); ok == 1 {
		fence, _ := reply[1].(int64)
		exp, _ := reply[2].(int64)
		return scopes.Lock{Name: req.Name, Type: req.Type, Token: req.Token, Fence: fence, Expires: time.UnixMilli(exp)}, scopes.LockHolder{}, true, nil
	}
	held, _ := reply[1].(string)
	n, _ := reply[2].(int64)
	var h scopes.LockHolder
	switch held {
	case "waiting":
		h.WriterWaiting = true
	case "exclusive":
		h.Type = scopes.LockExclusive
	default:
		h.Type, h.Holders = scopes.LockReadonly, int(n)
	}
	if len(reply) > 3 {
		tok, _ := reply[3].(string)
		h.Since = scopes.LockTokenSince(tok)
	}
	return scopes.Lock{}, h, false, nil
}

// Renew extends the holder token's lease in one script.
func (s *Store) Renew(ctx context.Context, app, name, token string, lease time.Duration, _ time.Time) (time.Time, bool, error) {
	if err := checkLockApp(app); err != nil {
		return time.Time{}, false, err
	}
	keys := s.lockKeys(app, name)[:2]
	reply, err := s.runScript(ctx, renewScript, keys[0], keys, []any{token, lease.Milliseconds()})
	n := firstInt(reply)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("redis: renew lock %s: %w", name, err)
	}
	if n == 0 {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(n), true, nil
}

// Unlock ends the holder token's lease in one script and publishes the
// release.
func (s *Store) Unlock(ctx context.Context, app, name, token string, _ time.Time) (bool, error) {
	if err := checkLockApp(app); err != nil {
		return false, err
	}
	keys := s.lockKeys(app, name)[:2]
	reply, err := s.runScript(ctx, unlockScript, keys[0], keys, []any{token, s.lockChannel(), app + ":" + name})
	n := firstInt(reply)
	if err != nil {
		return false, fmt.Errorf("redis: unlock %s: %w", name, err)
	}
	return n == 1, nil
}

// lockWatch delivers the releases published on the lock channel to this
// Store's waiters, over one subscription opened at the first wait.
type lockWatch struct {
	mu       sync.Mutex
	started  bool
	watchers map[string]map[chan struct{}]struct{}
}

// WatchLock signals each release of (app, name) by any instance. The
// subscription is the Store's one, opened on the first call; go-redis
// subscribes again after a broken connection, and what was published
// meanwhile is lost, which the waiters' backoff makes up for.
func (s *Store) WatchLock(app, name string) (<-chan struct{}, func()) {
	w := &s.lockWatch
	msg := app + ":" + name
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.watchers == nil {
		w.watchers = map[string]map[chan struct{}]struct{}{}
	}
	if w.watchers[msg] == nil {
		w.watchers[msg] = map[chan struct{}]struct{}{}
	}
	w.watchers[msg][ch] = struct{}{}
	start := !w.started
	w.started = true
	w.mu.Unlock()
	if start {
		s.subscribeLocks()
	}
	return ch, func() {
		w.mu.Lock()
		delete(w.watchers[msg], ch)
		if len(w.watchers[msg]) == 0 {
			delete(w.watchers, msg)
		}
		w.mu.Unlock()
	}
}

// subscribeLocks subscribes to the lock channel, waits (briefly) for Redis
// to confirm it, and dispatches each release until the Store is closed.
func (s *Store) subscribeLocks() {
	sub := s.client.Subscribe(context.Background(), s.lockChannel())
	ctx, cancel := context.WithTimeout(context.Background(), subscribeTimeout)
	if _, err := sub.Receive(ctx); err != nil {
		s.log.Warn("could not subscribe to lock releases yet; waiters poll with backoff until it can", "channel", s.lockChannel(), "err", err)
	}
	cancel()
	w := &s.lockWatch
	go func() {
		for m := range sub.Channel() {
			w.mu.Lock()
			for ch := range w.watchers[m.Payload] {
				select {
				case ch <- struct{}{}:
				default: // a signal is pending already
				}
			}
			w.mu.Unlock()
		}
	}()
	s.closersMu.Lock()
	s.closers = append(s.closers, sub.Close)
	s.closersMu.Unlock()
}

// firstInt returns the first integer of a script's reply, 0 when none.
func firstInt(reply []any) int64 {
	if len(reply) == 0 {
		return 0
	}
	n, _ := reply[0].(int64)
	return n
}
