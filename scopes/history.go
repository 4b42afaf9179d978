package scopes

import (
	"context"
	"errors"
	"math/bits"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// HistoryMinutes is how many one-minute buckets a History keeps per storage:
// the last hour, the current minute included.
const HistoryMinutes = 60

// historyMaxStorages bounds the storages a History keeps: names come from
// the settings, so there are a few, but a History must not grow with them.
// Operations on any storage past the first historyMaxStorages are not kept.
const historyMaxStorages = 64

// The latency histogram of a minute: bucket 0 holds what took under
// 2^latencyFloor ns (about 1 µs), the last one what took 2^latencyTop ns
// (about 4.6 minutes) or more, and each doubling in between is cut in
// latencySteps equal parts, so every bucket is at most a quarter wider than
// where it starts. A percentile is given as the middle of its bucket: at
// most 12.5% off the measured value, which is what a chart of p99 needs, for
// 114 counters a minute.
const (
	latencyFloor   = 10
	latencyTop     = 38
	latencyStepLog = 2
	latencySteps   = 1 << latencyStepLog
	latencyBuckets = 1 + (latencyTop-latencyFloor)*latencySteps + 1
)

// History keeps what this instance's engine did on each storage over the
// last hour, minute by minute, for the console's charts: the operations,
// the storage failures among them, a latency histogram that gives the p99,
// and the live scopes that the console counted. It is an Observer (chain it
// with the metrics with Observers); its memory is fixed (a ring of
// HistoryMinutes per storage, at most 64 storages, about 30 KB each), and
// an operation costs it a map read, a clock read and a short mutex, with no
// allocation. It keeps this process's measurements; with a Share, it
// publishes them each minute to the instances that share the config store
// and merges theirs into its own (history_share.go). A restart starts
// again. Safe for concurrent use.
type History struct {
	now     func() time.Time
	started time.Time
	// series maps a storage name to its ring: read without a lock on every
	// operation, replaced whole (under mu) when a storage is first seen.
	series atomic.Pointer[map[string]*storageSeries]
	mu     sync.Mutex

	// Instance names this process among those that share Share; set both
	// before the History is used, or neither (history_share.go).
	Instance string
	// Share, when set, is where this instance publishes its finished
	// minutes (Publish) and reads the other instances' (Others): the
	// config store they share.
	Share HistoryShare
	// published is the last minute Publish handed to Share; guarded by
	// publishMu, which also keeps two Publish from running at once.
	published int64
	publishMu sync.Mutex
}

// storageSeries is one storage's last hour.
type storageSeries struct {
	mu      sync.Mutex
	minutes [HistoryMinutes]minuteBucket
	live    [HistoryMinutes]liveSample
}

// minuteBucket counts one minute; minute is the Unix minute it counts, and
// a bucket whose minute is not the one asked for is an older one, to clear.
type minuteBucket struct {
	minute      int64
	ops, errors int64
	latency     [latencyBuckets]uint32
}

// liveSample is the count of live scopes taken during a minute, the last
// one of that minute.
type liveSample struct {
	minute int64
	n      int64
}

// NewHistory returns an empty History that reads the time from now
// (time.Now when nil; tests pass a clock they move), started now.
func NewHistory(now func() time.Time) *History {
	if now == nil {
		now = time.Now
	}
	h := &History{now: now, started: now()}
	h.series.Store(&map[string]*storageSeries{})
	return h
}

// Started is when the History began to keep measurements.
func (h *History) Started() time.Time { return h.started }

// UnixMinute is the minute t falls in, counted from the Unix epoch: the key
// of a History's buckets, in memory and where instances share them.
func UnixMinute(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - 59) / 60
	}
	return s / 60
}

// ring returns the ring of storage, made on first use; nil when the History
// keeps historyMaxStorages others already.
func (h *History) ring(storage string) *storageSeries {
	if s := (*h.series.Load())[storage]; s != nil {
		return s
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.series.Load()
	if s := old[storage]; s != nil {
		return s
	}
	if len(old) >= historyMaxStorages {
		return nil
	}
	next := make(map[string]*storageSeries, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	s := &storageSeries{}
	next[storage] = s
	h.series.Store(&next)
	return s
}

// bucket returns the bucket of minute m, cleared if it held an older minute.
// The caller holds s.mu.
func (s *storageSeries) bucket(m int64) *minuteBucket {
	b := &s.minutes[m%HistoryMinutes]
	if b.minute < m {
		*b = minuteBucket{minute: m}
	}
	return b
}

// failed says whether an operation's result is a failure of the storage
// (it did not answer, or held a value that cannot be decoded), as
// scopestore_storage_errors_total counts them; a 404, 412 or refused
// request is the storage answering.
func failed(result string) bool { return result == ResultUnavailable || result == ResultError }

// latencyBucket returns the histogram bucket of d.
func latencyBucket(d time.Duration) int {
	if d < 1<<latencyFloor {
		return 0
	}
	ns := uint64(d)
	octave := bits.Len64(ns) - 1
	if octave >= latencyTop {
		return latencyBuckets - 1
	}
	step := int(ns>>(octave-latencyStepLog)) & (latencySteps - 1)
	return 1 + (octave-latencyFloor)*latencySteps + step
}

// latencyOf returns the middle of bucket i: the value a percentile that
// falls in it is given (the last bucket gives its lower bound).
func latencyOf(i int) time.Duration {
	switch {
	case i <= 0:
		return 1 << (latencyFloor - 1)
	case i >= latencyBuckets-1:
		return 1 << latencyTop
	}
	octave := (i-1)/latencySteps + latencyFloor
	step := (i - 1) % latencySteps
	unit := time.Duration(1) << (octave - latencyStepLog)
	return (time.Duration(latencySteps+step)*unit + time.Duration(latencySteps+step+1)*unit) / 2
}

// ObserveOp implements Observer: it counts the operation, and its failure,
// in the current minute of its storage, and its duration in the minute's
// histogram.
func (h *History) ObserveOp(storage, _, result string, d time.Duration) {
	s := h.ring(storage)
	if s == nil {
		return
	}
	m := UnixMinute(h.now())
	i := latencyBucket(d)
	s.mu.Lock()
	b := s.bucket(m)
	b.ops++
	if failed(result) {
		b.errors++
	}
	b.latency[i]++
	s.mu.Unlock()
}

// ObserveClean implements Observer: a pass of the cleaner that the storage
// failed counts as an error of the minute (as in
// scopestore_storage_errors_total), not as an operation. A pass cut short
// by shutdown is no storage error.
func (h *History) ObserveClean(storage string, _ int, err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	s := h.ring(storage)
	if s == nil {
		return
	}
	m := UnixMinute(h.now())
	s.mu.Lock()
	s.bucket(m).errors++
	s.mu.Unlock()
}

// ObserveResend implements Observer; the write sent again is one operation,
// already counted by ObserveOp.
func (h *History) ObserveResend(string, bool) {}

// RecordLive keeps n as the live scopes of storage in the current minute;
// a later count in the same minute replaces it. The console calls it with
// the counts it takes as its Overview loads.
func (h *History) RecordLive(storage string, n int64) {
	s := h.ring(storage)
	if s == nil {
		return
	}
	m := UnixMinute(h.now())
	s.mu.Lock()
	s.live[m%HistoryMinutes] = liveSample{minute: m, n: n}
	s.mu.Unlock()
}

// HistoryMinute is one minute of a storage's history.
type HistoryMinute struct {
	// Start is when the minute began.
	Start time.Time
	// Seconds is how much of the minute the History saw: 60, less for the
	// minute it started in and for the current one, 0 before it started.
	Seconds float64
	// Ops are the operations on the storage that ended in the minute, and
	// Errors the storage failures among them (with failed cleaner passes).
	Ops, Errors int64
	// P99 is the 99th percentile of the operations' durations, at most
	// 12.5% off (0 when there was none).
	P99 time.Duration
	// Live is the live scopes the console counted during the minute, when
	// LiveCounted.
	Live        int64
	LiveCounted bool
}

// OpsPerSecond is the minute's operations per second, over the part of the
// minute the History saw (at least a second, so that the first operations
// of a minute do not make a spike).
func (m HistoryMinute) OpsPerSecond() float64 {
	if m.Ops == 0 {
		return 0
	}
	return float64(m.Ops) / max(m.Seconds, 1)
}

// Storages returns, in name order, the storages the History holds something
// for in the last hour.
func (h *History) Storages() []string {
	now := UnixMinute(h.now())
	var names []string
	for name, s := range *h.series.Load() {
		s.mu.Lock()
		seen := false
		for i := range s.minutes {
			if now-s.minutes[i].minute < HistoryMinutes || now-s.live[i].minute < HistoryMinutes {
				seen = true
				break
			}
		}
		s.mu.Unlock()
		if seen {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// Minutes returns the last hour of storage, oldest first: HistoryMinutes
// minutes, the last one the current minute (so far). A storage the History
// never saw has every minute empty.
func (h *History) Minutes(storage string) []HistoryMinute {
	return h.minutes(storage, nil)
}

// percentile returns the q-th quantile (nearest rank) of the n durations
// counted in hist, as the middle of the bucket it falls in; 0 when n is 0.
func percentile(hist *[latencyBuckets]uint32, n int64, q float64) time.Duration {
	if n <= 0 {
		return 0
	}
	rank := int64(q * float64(n))
	if float64(rank) < q*float64(n) {
		rank++
	}
	rank = max(rank, 1)
	var seen int64
	for i, c := range hist {
		seen += int64(c)
		if seen >= rank {
			return latencyOf(i)
		}
	}
	return latencyOf(latencyBuckets - 1)
}
