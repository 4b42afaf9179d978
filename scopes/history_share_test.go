package scopes_test

import (
	"context"
	"errors"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// memoryShare is a HistoryShare in memory: the config store of the tests.
type memoryShare struct {
	mu      sync.Mutex
	buckets map[string]scopes.HistoryBucket
	fail    error
	calls   int
}

func (s *memoryShare) PublishHistory(_ context.Context, instance string, bs []scopes.HistoryBucket, since time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		return s.fail
	}
	if s.buckets == nil {
		s.buckets = map[string]scopes.HistoryBucket{}
	}
	for _, b := range bs {
		if b.Instance != instance {
			return errors.New("a bucket of another instance")
		}
		s.buckets[b.Instance+"/"+b.Storage+"/"+b.Minute.String()] = b
	}
	for k, b := range s.buckets {
		if b.Minute.Before(since) {
			delete(s.buckets, k)
		}
	}
	return nil
}

func (s *memoryShare) OtherHistory(_ context.Context, instance string, since time.Time) ([]scopes.HistoryBucket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []scopes.HistoryBucket
	for _, b := range s.buckets {
		if b.Instance != instance && !b.Minute.Before(since) {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Minute.Before(out[j].Minute) })
	return out, nil
}

// sharedHistories returns n Histories, instances i0, i1…, on one share and
// one clock, started at start.
func sharedHistories(start time.Time, n int) ([]*scopes.History, *testClock, *memoryShare) {
	clock := &testClock{t: start}
	share := &memoryShare{}
	hs := make([]*scopes.History, n)
	for i := range hs {
		hs[i] = scopes.NewHistory(clock.now)
		hs[i].Instance = "i" + string(rune('0'+i))
		hs[i].Share = share
	}
	return hs, clock, share
}

func publish(t *testing.T, hs ...*scopes.History) {
	t.Helper()
	for _, h := range hs {
		if _, err := h.Publish(context.Background()); err != nil {
			t.Fatalf("Publish %s: %v", h.Instance, err)
		}
	}
}

func others(t *testing.T, h *scopes.History) scopes.HistoryOthers {
	t.Helper()
	o, err := h.Others(context.Background())
	if err != nil {
		t.Fatalf("Others: %v", err)
	}
	return o
}

// The p99 of two instances is that of all their operations, from their
// merged histograms: not the average of their p99s, nor the larger one.
func TestHistoryMergeP99(t *testing.T) {
	hs, clock, _ := sharedHistories(at(0, 0), 2)
	a, b := hs[0], hs[1]
	for range 1000 {
		a.ObserveOp("redis", scopes.OpLoad, scopes.ResultOK, time.Millisecond)
	}
	for range 5 {
		b.ObserveOp("redis", scopes.OpLoad, scopes.ResultUnavailable, 200*time.Millisecond)
	}
	// 12:01: b's slow minute; 100 of its 1,100 operations are slow.
	clock.set(at(1, 0))
	for range 1000 {
		a.ObserveOp("redis", scopes.OpLoad, scopes.ResultOK, time.Millisecond)
	}
	for range 100 {
		b.ObserveOp("redis", scopes.OpSave, scopes.ResultOK, 200*time.Millisecond)
	}
	clock.set(at(2, 30))
	publish(t, a, b)

	o := others(t, a)
	if o.Instances != 1 {
		t.Fatalf("a sees %d other instances, want 1", o.Instances)
	}
	m := a.MinutesWith("redis", o)
	first, second := m[len(m)-3], m[len(m)-2]
	if first.Ops != 1005 || first.Errors != 5 || second.Ops != 1100 || second.Errors != 0 {
		t.Errorf("12:00 %d ops %d errors, 12:01 %d ops %d errors; want 1005/5 and 1100/0", first.Ops, first.Errors, second.Ops, second.Errors)
	}
	within := func(got, want time.Duration) bool { return math.Abs(float64(got-want)) <= 0.125*float64(want) }
	// 12:00: the 995th of 1,005 is one of a's 1 ms (averaging p99s would say about 100 ms).
	if !within(first.P99, time.Millisecond) {
		t.Errorf("12:00 p99 %v, want 1ms", first.P99)
	}
	// 12:01: the 1,089th of 1,100 is one of b's 200 ms.
	if !within(second.P99, 200*time.Millisecond) {
		t.Errorf("12:01 p99 %v, want 200ms", second.P99)
	}
	// b sees the same sums from its side.
	mb := b.MinutesWith("redis", others(t, b))
	if got := mb[len(mb)-3]; got.Ops != 1005 || got.P99 != first.P99 {
		t.Errorf("b's 12:00: %+v, want a's view %+v", got, first)
	}
	// Without the others, a has only its own.
	if own := a.Minutes("redis"); own[len(own)-3].Ops != 1000 || own[len(own)-3].Errors != 0 {
		t.Errorf("a's own 12:00: %+v", own[len(own)-3])
	}
}

// Live scopes: memory is each instance's own, so their counts add up;
// redis is one storage that every instance counts whole, so it is counted
// once. In the current minute, which the others have not published yet,
// their count of the minute before stands in; memory has a point only in
// the minutes this instance counted.
func TestHistoryMergeLive(t *testing.T) {
	hs, clock, _ := sharedHistories(at(0, 0), 3)
	a, b, c := hs[0], hs[1], hs[2]
	for i, h := range hs {
		h.RecordLive("memory", int64(10*(i+1)))
		h.RecordLive("redis", 500+int64(i))
	}
	clock.set(at(1, 10))
	a.RecordLive("memory", 11)
	a.RecordLive("redis", 507)
	b.RecordLive("memory", 21)
	c.RecordLive("redis", 509) // c's memory is not counted at 12:01
	clock.set(at(2, 5))
	publish(t, b, c)
	a.RecordLive("memory", 12)

	o := others(t, a)
	if o.Instances != 2 {
		t.Errorf("%d other instances, want 2", o.Instances)
	}
	mem := a.MinutesWith("memory", o)
	// c's 30 of 12:00 stands for the two minutes it did not count.
	for i, want := range []int64{10 + 20 + 30, 11 + 21 + 30, 12 + 21 + 30} {
		got := mem[len(mem)-3+i]
		if !got.LiveCounted || got.Live != want {
			t.Errorf("memory at 12:0%d: live %d (counted %v), want %d", i, got.Live, got.LiveCounted, want)
		}
	}
	red := a.MinutesWith("redis", o)
	// a's own count where it has one; the others' (the highest) where not.
	for i, want := range []int64{500, 507} {
		if got := red[len(red)-3+i]; !got.LiveCounted || got.Live != want {
			t.Errorf("redis at 12:0%d: live %d (counted %v), want %d", i, got.Live, got.LiveCounted, want)
		}
	}
	if got := red[len(red)-1]; !got.LiveCounted || got.Live != 509 {
		t.Errorf("redis now, which a did not count: live %d (counted %v), want c's 509 of 12:01", got.Live, got.LiveCounted)
	}
	// A minute that a did not count has no point for memory, whatever the
	// others counted: it would be a part of the sum.
	clock.set(at(3, 0))
	publish(t, b, c)
	if got := a.MinutesWith("memory", others(t, a)); got[len(got)-1].LiveCounted {
		t.Errorf("memory now, not counted by a: %+v", got[len(got)-1])
	}
	o = others(t, a)
	if names := a.StoragesWith(o); len(names) != 2 || names[0] != "memory" || names[1] != "redis" {
		t.Errorf("storages %v", names)
	}
}

// A minute that another instance measured before this one started counts
// as seen whole: its operations per second are not a spike.
func TestHistoryMergeBeforeStart(t *testing.T) {
	clock := &testClock{t: at(0, 0)}
	share := &memoryShare{}
	b := scopes.NewHistory(clock.now)
	b.Instance, b.Share = "b", share
	for range 120 {
		b.ObserveOp("file", scopes.OpLoad, scopes.ResultOK, time.Millisecond)
	}
	clock.set(at(1, 40))
	publish(t, b)
	a := scopes.NewHistory(clock.now)
	a.Instance, a.Share = "a", share
	m := a.MinutesWith("file", others(t, a))
	if got := m[len(m)-2]; got.Ops != 120 || got.Seconds != 60 || got.OpsPerSecond() != 2 {
		t.Errorf("12:00, before a started: %+v (%v/s), want 120 ops over 60 s", got, got.OpsPerSecond())
	}
}

// Publish hands over each finished minute once, never the current one, and
// again after a failure; the hour's older minutes are forgotten.
func TestHistoryPublish(t *testing.T) {
	hs, clock, share := sharedHistories(at(0, 10), 2)
	a, b := hs[0], hs[1]
	a.ObserveOp("memory", scopes.OpLoad, scopes.ResultOK, time.Millisecond)
	if n, err := a.Publish(context.Background()); err != nil || n != 0 {
		t.Fatalf("Publish in the first minute: %d, %v; want nothing finished", n, err)
	}
	clock.set(at(1, 0))
	a.ObserveOp("memory", scopes.OpLoad, scopes.ResultOK, time.Millisecond)
	a.RecordLive("memory", 3)
	share.fail = errors.New("config store down")
	if _, err := a.Publish(context.Background()); err == nil || !errors.Is(err, share.fail) {
		t.Fatalf("Publish with the share down: %v", err)
	}
	share.fail = nil
	clock.set(at(2, 0))
	if n, err := a.Publish(context.Background()); err != nil || n != 2 {
		t.Fatalf("Publish after the failure: %d, %v; want 12:00 and 12:01", n, err)
	}
	if n, err := a.Publish(context.Background()); err != nil || n != 0 {
		t.Errorf("Publish again in the same minute: %d, %v; want nothing new", n, err)
	}
	bs := others(t, b).Buckets
	if len(bs) != 2 || bs[0].Ops != 1 || bs[0].Latency == nil || bs[1].Live != 3 || !bs[1].LiveCounted || bs[1].Instance != "i0" {
		t.Errorf("b reads %+v", bs)
	}
	if o := others(t, a); o.Instances != 0 || len(o.Buckets) != 0 {
		t.Errorf("a reads its own buckets as another's: %+v", o)
	}
	// An hour on, 12:00 and 12:01 have left the window, and the share.
	clock.set(at(62, 0))
	publish(t, b)
	if o := others(t, a); len(o.Buckets) != 0 {
		t.Errorf("buckets older than the hour: %+v", o.Buckets)
	}
	// Without a share, nothing to publish and nobody else.
	h, _ := newTestHistory(at(0, 0))
	if n, err := h.Publish(context.Background()); n != 0 || err != nil {
		t.Errorf("Publish without a share: %d, %v", n, err)
	}
	if o, err := h.Others(context.Background()); err != nil || o.Instances != 0 {
		t.Errorf("Others without a share: %+v, %v", o, err)
	}
}

// Of the instances that share a storage, the first by name counts it: the
// others see its counts and leave it, until they stop coming.
func TestHistoryCountedElsewhere(t *testing.T) {
	hs, clock, _ := sharedHistories(at(0, 0), 2)
	a, b := hs[0], hs[1] // i0 sorts before i1
	for _, h := range hs {
		h.RecordLive("redis", 50)
		h.RecordLive("memory", 5)
	}
	clock.set(at(1, 30))
	publish(t, a, b)
	got, err := b.CountedElsewhere(context.Background())
	if err != nil || len(got) != 1 || !got["redis"] {
		t.Errorf("b: %v, %v; want redis only (memory is each instance's own)", got, err)
	}
	if got, _ := a.CountedElsewhere(context.Background()); len(got) != 0 {
		t.Errorf("a, first by name: %v, want none", got)
	}
	// a stops counting redis; two minutes on, b counts it again.
	clock.set(at(4, 0))
	publish(t, a)
	if got, _ := b.CountedElsewhere(context.Background()); len(got) != 0 {
		t.Errorf("b after a's counts stopped: %v, want none", got)
	}
}
