package scopes_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// at is 3 December 2026, 12:mm:ss UTC.
func at(mm, ss int) time.Time { return time.Date(2026, 12, 3, 12, mm, ss, 0, time.UTC) }

func newTestHistory(start time.Time) (*scopes.History, *testClock) {
	c := &testClock{t: start}
	return scopes.NewHistory(c.now), c
}

// last returns the last n minutes of storage, oldest first.
func last(h *scopes.History, storage string, n int) []scopes.HistoryMinute {
	m := h.Minutes(storage)
	return m[len(m)-n:]
}

func TestHistoryRollover(t *testing.T) {
	h, clock := newTestHistory(at(0, 30))
	h.ObserveOp("memory", scopes.OpLoad, scopes.ResultOK, time.Millisecond)
	h.ObserveOp("memory", scopes.OpSave, scopes.ResultOK, time.Millisecond)
	h.ObserveOp("memory", scopes.OpSave, scopes.ResultUnavailable, time.Second)
	clock.set(at(1, 10))
	h.ObserveOp("memory", scopes.OpLoad, scopes.ResultOK, time.Millisecond)

	m := h.Minutes("memory")
	if len(m) != scopes.HistoryMinutes {
		t.Fatalf("%d minutes, want %d", len(m), scopes.HistoryMinutes)
	}
	if !m[len(m)-1].Start.Equal(at(1, 0)) || !m[0].Start.Equal(at(1, 0).Add(-59*time.Minute)) {
		t.Fatalf("the window runs %v to %v", m[0].Start, m[len(m)-1].Start)
	}
	prev, cur := m[len(m)-2], m[len(m)-1]
	if prev.Ops != 3 || prev.Errors != 1 || cur.Ops != 1 || cur.Errors != 0 {
		t.Fatalf("12:00 %d ops %d errors, 12:01 %d ops %d errors; want 3/1 and 1/0", prev.Ops, prev.Errors, cur.Ops, cur.Errors)
	}
	// 12:00 was seen from 12:00:30, 12:01 up to 12:01:10; before, nothing.
	if prev.Seconds != 30 || cur.Seconds != 10 || m[len(m)-3].Seconds != 0 {
		t.Errorf("seconds seen: %v, %v, %v; want 0, 30, 10", m[len(m)-3].Seconds, prev.Seconds, cur.Seconds)
	}
	if got := prev.OpsPerSecond(); got != 0.1 {
		t.Errorf("12:00 ops/s = %v, want 3/30", got)
	}

	// 59 minutes on, 12:00 has left the window and 12:01 is its first minute.
	clock.set(at(60, 5))
	m = h.Minutes("memory")
	if m[0].Ops != 1 || !m[0].Start.Equal(at(1, 0)) {
		t.Errorf("first minute %v with %d ops, want 12:01 with 1", m[0].Start, m[0].Ops)
	}
	for _, x := range m[1:] {
		if x.Ops != 0 || x.Errors != 0 || x.P99 != 0 {
			t.Errorf("%v: %+v, want nothing", x.Start, x)
		}
	}
	// 13:01 reuses 12:01's bucket, which starts again from nothing.
	clock.set(at(61, 0))
	h.ObserveOp("memory", scopes.OpLoad, scopes.ResultOK, 5*time.Millisecond)
	m = h.Minutes("memory")
	if c := m[len(m)-1]; c.Ops != 1 || c.P99 < 4*time.Millisecond || c.P99 > 6*time.Millisecond {
		t.Errorf("13:01 after reusing 12:01's bucket: %+v", c)
	}
	for _, x := range m[:len(m)-1] {
		if x.Ops != 0 {
			t.Errorf("%v still counts %d ops", x.Start, x.Ops)
		}
	}
	// Two hours later: all gone.
	clock.set(at(180, 0))
	if names := h.Storages(); len(names) != 0 {
		t.Errorf("storages after two idle hours: %v", names)
	}
}

func TestHistoryP99(t *testing.T) {
	within := func(got, want time.Duration) bool {
		return math.Abs(float64(got-want)) <= 0.125*float64(want)
	}
	for _, c := range []struct {
		name string
		obs  map[time.Duration]int
		want time.Duration
	}{
		// Nearest rank: the 990th of 1000.
		{"tail of 2%", map[time.Duration]int{time.Millisecond: 980, 80 * time.Millisecond: 20}, 80 * time.Millisecond},
		{"tail of 1%", map[time.Duration]int{time.Millisecond: 990, 80 * time.Millisecond: 10}, time.Millisecond},
		{"tail of 0.5%", map[time.Duration]int{2 * time.Millisecond: 995, time.Second: 5}, 2 * time.Millisecond},
		{"few ops: the slowest", map[time.Duration]int{300 * time.Microsecond: 5, 7 * time.Millisecond: 1}, 7 * time.Millisecond},
		{"sub-microsecond", map[time.Duration]int{200 * time.Nanosecond: 100}, 512 * time.Nanosecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, _ := newTestHistory(at(0, 0))
			for d, n := range c.obs {
				for range n {
					h.ObserveOp("redis", scopes.OpLoad, scopes.ResultOK, d)
				}
			}
			if got := last(h, "redis", 1)[0].P99; !within(got, c.want) {
				t.Errorf("p99 = %v, want %v ± 12.5%%", got, c.want)
			}
		})
	}

	// A uniform spread of 1..10,000 µs: the p99 is 9.9 ms.
	h, _ := newTestHistory(at(0, 0))
	for i := 1; i <= 10000; i++ {
		h.ObserveOp("file", scopes.OpSave, scopes.ResultOK, time.Duration(i)*time.Microsecond)
	}
	if got := last(h, "file", 1)[0].P99; !within(got, 9900*time.Microsecond) {
		t.Errorf("uniform: p99 = %v, want 9.9ms ± 12.5%%", got)
	}

	// The precision the doc promises, from about 1 µs (2^10 ns) to 4 minutes.
	clock := &testClock{t: at(0, 0)}
	h = scopes.NewHistory(clock.now)
	minute := 0
	for d := time.Duration(1 << 10); d < 4*time.Minute; d = d*107/100 + 1 {
		minute++
		clock.set(at(0, 0).Add(time.Duration(minute) * time.Minute))
		h.ObserveOp("x", scopes.OpLoad, scopes.ResultOK, d)
		if got := last(h, "x", 1)[0].P99; !within(got, d) {
			t.Errorf("one op of %v: p99 %v, more than 12.5%% off", d, got)
		}
	}
}

func TestHistoryErrors(t *testing.T) {
	h, _ := newTestHistory(at(0, 0))
	for _, r := range []string{scopes.ResultOK, scopes.ResultNotFound, scopes.ResultConflict, scopes.ResultInvalid,
		scopes.ResultUnavailable, scopes.ResultError} {
		h.ObserveOp("db", scopes.OpSave, r, time.Millisecond)
	}
	h.ObserveClean("db", 10, nil)
	h.ObserveClean("db", 0, context.Canceled)
	h.ObserveClean("db", 0, fmt.Errorf("clean: %w", scopes.Unavailable("storage db", errors.New("refused"))))
	h.ObserveResend("db", true)
	got := last(h, "db", 1)[0]
	// unavailable, error, and the failed cleaner pass; the cleaner passes
	// and the resend are not operations.
	if got.Ops != 6 || got.Errors != 3 {
		t.Errorf("%d ops, %d errors; want 6 ops, 3 errors", got.Ops, got.Errors)
	}
}

func TestHistoryLive(t *testing.T) {
	h, clock := newTestHistory(at(0, 0))
	h.RecordLive("file", 10)
	h.RecordLive("file", 12) // the same minute: replaces
	clock.set(at(2, 0))
	h.RecordLive("file", 15)
	m := last(h, "file", 3)
	if !m[0].LiveCounted || m[0].Live != 12 || m[1].LiveCounted || !m[2].LiveCounted || m[2].Live != 15 {
		t.Errorf("live: %+v", m)
	}
	if names := h.Storages(); len(names) != 1 || names[0] != "file" {
		t.Errorf("storages %v, want [file]: a count alone is history", names)
	}
	if m := h.Minutes("never"); len(m) != scopes.HistoryMinutes || m[len(m)-1].Ops != 0 || m[len(m)-1].LiveCounted {
		t.Errorf("a storage never seen: %+v", m[len(m)-1])
	}
}

func TestHistoryBoundsStorages(t *testing.T) {
	h, _ := newTestHistory(at(0, 0))
	for i := range 200 {
		h.ObserveOp(fmt.Sprintf("s%03d", i), scopes.OpLoad, scopes.ResultOK, time.Millisecond)
	}
	if n := len(h.Storages()); n != 64 {
		t.Errorf("%d storages kept, want 64", n)
	}
	if last(h, "s199", 1)[0].Ops != 0 || last(h, "s000", 1)[0].Ops != 1 {
		t.Error("the first 64 storages should be kept, not the others")
	}
}

// TestHistoryConcurrent is for -race: writers on several storages while
// readers read, none lost.
func TestHistoryConcurrent(t *testing.T) {
	h := scopes.NewHistory(nil)
	const writers, each = 8, 2000
	storages := []string{"memory", "file", "redis"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, s := range h.Storages() {
					h.Minutes(s)
				}
				h.RecordLive("memory", 1)
			}
		})
	}
	var writersDone sync.WaitGroup
	for w := range writers {
		writersDone.Go(func() {
			for i := range each {
				res := scopes.ResultOK
				if i%10 == 0 {
					res = scopes.ResultUnavailable
				}
				h.ObserveOp(storages[(w+i)%len(storages)], scopes.OpLoad, res, time.Duration(i)*time.Microsecond)
			}
		})
	}
	writersDone.Wait()
	close(stop)
	wg.Wait()
	var ops, errs int64
	for _, s := range storages {
		for _, m := range h.Minutes(s) {
			ops += m.Ops
			errs += m.Errors
		}
	}
	if ops != writers*each || errs != writers*each/10 {
		t.Errorf("%d ops, %d errors; want %d and %d", ops, errs, writers*each, writers*each/10)
	}
}

func TestObserversTellEach(t *testing.T) {
	a, _ := newTestHistory(at(0, 0))
	b, _ := newTestHistory(at(0, 0))
	var o scopes.Observer = scopes.Observers{a, b}
	o.ObserveOp("memory", scopes.OpCreate, scopes.ResultError, time.Millisecond)
	o.ObserveClean("memory", 1, errors.New("down"))
	o.ObserveResend("memory", false)
	for i, h := range []*scopes.History{a, b} {
		if m := last(h, "memory", 1)[0]; m.Ops != 1 || m.Errors != 2 {
			t.Errorf("observer %d: %+v", i, m)
		}
	}
}

// BenchmarkHistoryObserveOp is what the History adds to every operation.
func BenchmarkHistoryObserveOp(b *testing.B) {
	h := scopes.NewHistory(nil)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.ObserveOp("memory", scopes.OpLoad, scopes.ResultOK, 150*time.Microsecond)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				h.ObserveOp("memory", scopes.OpLoad, scopes.ResultOK, 150*time.Microsecond)
			}
		})
	})
}
