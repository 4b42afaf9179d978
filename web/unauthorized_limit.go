package web

import (
	"sync"
	"sync/atomic"
	"time"
)

// A client address that gets unauthorizedMax 401s within unauthorizedWindow
// is answered 429 until the window ends, before its key is even looked up:
// guessing keys, or an app stuck on a wrong one, then costs neither a config
// store query (scopes.Directory remembers misses only briefly) nor a log
// line per request. A minute at twenty is far beyond what a misconfigured
// app needs to notice its mistake, and far below what guessing needs.
const (
	unauthorizedMax    = 20
	unauthorizedWindow = time.Minute
	// maxLimitedAddrs bounds the memory of the limit, whatever addresses
	// the 401s come from.
	maxLimitedAddrs = 10000
)

// unauthorizedLimit counts the 401s of each client address in a fixed
// window that starts at the address's first 401.
type unauthorizedLimit struct {
	// tracked mirrors len(addrs), so that while nobody got a 401 lately a
	// request pays no lock and no address parsing.
	tracked atomic.Int64

	mu     sync.Mutex
	addrs  map[string]unauthorizedCount
	swept  time.Time
	window time.Duration
	max    int
}

// unauthorizedCount is one address's 401s since start.
type unauthorizedCount struct {
	start time.Time
	n     int
}

func newUnauthorizedLimit() *unauthorizedLimit {
	return &unauthorizedLimit{addrs: map[string]unauthorizedCount{}, window: unauthorizedWindow, max: unauthorizedMax}
}

// idle tells that no address got a 401 lately, without taking the lock.
func (l *unauthorizedLimit) idle() bool { return l.tracked.Load() == 0 }

// wait tells how long addr must wait before it is heard again; 0 means now.
func (l *unauthorizedLimit) wait(addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepLocked(now)
	c, ok := l.addrs[addr]
	if !ok || c.n < l.max {
		return 0
	}
	return max(c.start.Add(l.window).Sub(now), 0)
}

// record counts a 401 answered to addr.
func (l *unauthorizedLimit) record(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepLocked(now)
	c, ok := l.addrs[addr]
	if !ok || !now.Before(c.start.Add(l.window)) {
		c = unauthorizedCount{start: now}
	}
	if !ok && len(l.addrs) >= maxLimitedAddrs {
		// Full of addresses within their window: one of them is let go.
		for k := range l.addrs {
			delete(l.addrs, k)
			break
		}
	}
	c.n++
	l.addrs[addr] = c
	l.tracked.Store(int64(len(l.addrs)))
}

// sweepLocked drops the addresses whose window ended, at most once a
// window; l.mu is held.
func (l *unauthorizedLimit) sweepLocked(now time.Time) {
	if now.Sub(l.swept) < l.window {
		return
	}
	l.swept = now
	for k, c := range l.addrs {
		if !now.Before(c.start.Add(l.window)) {
			delete(l.addrs, k)
		}
	}
	l.tracked.Store(int64(len(l.addrs)))
}
