package scopes

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"
)

// HistoryBucket is one minute of one storage's history as an instance
// publishes it for the others that share its config store.
type HistoryBucket struct {
	// Instance names the instance that measured it.
	Instance string
	// Storage is the storage it measured.
	Storage string
	// Minute is when the minute began, in UTC.
	Minute time.Time
	// Ops are the operations that ended in the minute, and Errors the
	// storage failures among them (with failed cleaner passes).
	Ops, Errors int64
	// Latency is the minute's latency histogram, sparse: the operations
	// counted in each of the History's buckets, by index. It is the
	// histogram rather than a p99 so that the p99 of several instances is
	// that of all their operations, not an average of p99s. An index the
	// History does not know is ignored.
	Latency map[int]uint32
	// Live is the live scopes the instance counted during the minute, when
	// LiveCounted.
	Live        int64
	LiveCounted bool
}

// HistoryShare is where the instances that share a config store publish
// their finished minutes and read each other's; the config store
// implements it.
type HistoryShare interface {
	// PublishHistory keeps buckets, all measured by instance, in place of
	// any kept for the same instance, storage and minute, and forgets the
	// buckets of every instance that began before since.
	PublishHistory(ctx context.Context, instance string, buckets []HistoryBucket, since time.Time) error
	// OtherHistory returns the buckets that began at since or later,
	// measured by any instance but instance.
	OtherHistory(ctx context.Context, instance string, since time.Time) ([]HistoryBucket, error)
}

// HistoryOthers is the other instances' last hour, as Others reads it.
type HistoryOthers struct {
	// Buckets are their minutes, of every storage.
	Buckets []HistoryBucket
	// Instances counts the other instances that published a minute of the
	// last hour.
	Instances int
}

// minuteStart is when Unix minute m began, in UTC.
func minuteStart(m int64) time.Time { return time.Unix(m*60, 0).UTC() }

// Publish hands Share the minutes finished since the last Publish that
// succeeded (the whole hour's, the first time), of every storage that has
// something in them, and has it forget the minutes older than the hour. It
// returns how many buckets it handed over; with no Share it does nothing.
// Call it about once a minute; two calls never run at once.
func (h *History) Publish(ctx context.Context) (int, error) {
	if h.Share == nil {
		return 0, nil
	}
	h.publishMu.Lock()
	defer h.publishMu.Unlock()
	now := UnixMinute(h.now())
	first := max(h.published+1, now-HistoryMinutes+1)
	buckets := h.finished(first, now-1)
	if err := h.Share.PublishHistory(ctx, h.Instance, buckets, minuteStart(now-HistoryMinutes+1)); err != nil {
		return 0, fmt.Errorf("publish the last hour of instance %s: %w", h.Instance, err)
	}
	h.published = now - 1
	return len(buckets), nil
}

// finished returns the buckets of the minutes from first to last, of every
// storage, in storage then minute order; a minute with no operation, no
// error and no count has none.
func (h *History) finished(first, last int64) []HistoryBucket {
	var out []HistoryBucket
	for name, s := range *h.series.Load() {
		s.mu.Lock()
		byMinute := map[int64]*HistoryBucket{}
		at := func(m int64) *HistoryBucket {
			b := byMinute[m]
			if b == nil {
				b = &HistoryBucket{Instance: h.Instance, Storage: name, Minute: minuteStart(m)}
				byMinute[m] = b
			}
			return b
		}
		for i := range s.minutes {
			mb := &s.minutes[i]
			if mb.minute < first || mb.minute > last || (mb.ops == 0 && mb.errors == 0) {
				continue
			}
			b := at(mb.minute)
			b.Ops, b.Errors = mb.ops, mb.errors
			for j, c := range mb.latency {
				if c > 0 {
					if b.Latency == nil {
						b.Latency = map[int]uint32{}
					}
					b.Latency[j] = c
				}
			}
		}
		for _, l := range s.live {
			if l.minute >= first && l.minute <= last {
				b := at(l.minute)
				b.Live, b.LiveCounted = l.n, true
			}
		}
		s.mu.Unlock()
		for _, b := range byMinute {
			out = append(out, *b)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Storage != out[j].Storage {
			return out[i].Storage < out[j].Storage
		}
		return out[i].Minute.Before(out[j].Minute)
	})
	return out
}

// Others reads the other instances' last hour from Share; with no Share
// there are none.
func (h *History) Others(ctx context.Context) (HistoryOthers, error) {
	if h.Share == nil {
		return HistoryOthers{}, nil
	}
	since := minuteStart(UnixMinute(h.now()) - HistoryMinutes + 1)
	buckets, err := h.Share.OtherHistory(ctx, h.Instance, since)
	if err != nil {
		return HistoryOthers{}, fmt.Errorf("read the other instances' last hour: %w", err)
	}
	seen := map[string]bool{}
	for _, b := range buckets {
		if b.Instance != h.Instance {
			seen[b.Instance] = true
		}
	}
	return HistoryOthers{Buckets: buckets, Instances: len(seen)}, nil
}

// StoragesWith returns, in name order, the storages that this History or
// the other instances hold something for in the last hour.
func (h *History) StoragesWith(others HistoryOthers) []string {
	names := h.Storages()
	first := UnixMinute(h.now()) - HistoryMinutes + 1
	for _, b := range others.Buckets {
		if UnixMinute(b.Minute) >= first && !slices.Contains(names, b.Storage) {
			names = append(names, b.Storage)
		}
	}
	sort.Strings(names)
	return names
}

// separate reports whether each instance keeps its own scopes in storage
// (memory, and file under its own data directory), so that the live scopes
// of all instances are the sum of their counts; any other storage is one
// that every instance reaches and counts whole.
func separate(storage string) bool { return storage == StorageMemory || storage == StorageFile }

// MinutesWith returns the last hour of storage as Minutes does, with the
// other instances' minutes of it merged in: operations and errors summed,
// the p99 that of the merged latency histograms, and the live scopes summed
// over the instances for memory and file (each instance keeps its own),
// this instance's count for any other storage, which every instance counts
// whole (another's when this one has none for the minute). For memory and
// file a minute has a point when this instance counted it (a minute it did
// not would show a part of the sum), to which each other instance adds its
// latest count up to liveCarry minutes old: the others publish a minute once
// it is over, so the current minute has their counts of the minute before
// (and this instance's operations only). A minute another instance measured
// counts as seen whole, for the operations per second.
func (h *History) MinutesWith(storage string, others HistoryOthers) []HistoryMinute {
	return h.minutes(storage, others.Buckets)
}

// minutes is Minutes with the others' buckets of storage merged in.
func (h *History) minutes(storage string, others []HistoryBucket) []HistoryMinute {
	t := h.now()
	now := UnixMinute(t)
	first := now - HistoryMinutes + 1
	out := make([]HistoryMinute, HistoryMinutes)
	for i := range out {
		start := time.Unix((first+int64(i))*60, 0).In(t.Location())
		from, to := start, start.Add(time.Minute)
		if h.started.After(from) {
			from = h.started
		}
		if t.Before(to) {
			to = t
		}
		out[i] = HistoryMinute{Start: start, Seconds: max(0, to.Sub(from).Seconds())}
	}
	var hists [HistoryMinutes][latencyBuckets]uint32
	var own [HistoryMinutes]liveSample
	if s := (*h.series.Load())[storage]; s != nil {
		s.mu.Lock()
		for i := range s.minutes {
			if b := &s.minutes[i]; b.minute >= first && b.minute <= now {
				o := &out[b.minute-first]
				o.Ops, o.Errors = b.ops, b.errors
				hists[b.minute-first] = b.latency
			}
			if l := s.live[i]; l.minute >= first && l.minute <= now {
				own[l.minute-first] = l
			}
		}
		s.mu.Unlock()
	}
	// The others' counts, by instance and minute.
	lives := map[string]*[HistoryMinutes]liveSample{}
	for _, b := range others {
		m := UnixMinute(b.Minute)
		if b.Storage != storage || m < first || m > now {
			continue
		}
		i := m - first
		o := &out[i]
		o.Ops += b.Ops
		o.Errors += b.Errors
		for j, c := range b.Latency {
			if j >= 0 && j < latencyBuckets {
				hists[i][j] += c
			}
		}
		if m < now {
			o.Seconds = 60
		}
		if b.LiveCounted {
			l := lives[b.Instance]
			if l == nil {
				l = &[HistoryMinutes]liveSample{}
				lives[b.Instance] = l
			}
			l[i] = liveSample{minute: m, n: b.Live}
		}
	}
	for i := range out {
		o := &out[i]
		var n int64
		for _, c := range hists[i] {
			n += int64(c)
		}
		o.P99 = percentile(&hists[i], n, 0.99)
		if own[i].minute != 0 {
			o.Live, o.LiveCounted = own[i].n, true
		}
		switch {
		case separate(storage) && o.LiveCounted:
			// Each instance's latest count adds up; a minute this one
			// did not count has no point rather than a part of the sum.
			for _, l := range lives {
				o.Live += latestLive(l, i).n
			}
		case !separate(storage) && !o.LiveCounted:
			for _, l := range lives {
				if sample := latestLive(l, i); sample.minute != 0 && (!o.LiveCounted || sample.n > o.Live) {
					o.Live, o.LiveCounted = sample.n, true
				}
			}
		}
	}
	return out
}

// liveCarry is how many minutes an instance's count stands for the minutes
// after it that it did not count: the current minute, which the others
// publish once it is over, and one missed count.
const liveCarry = 2

// latestLive is the count of l in minute i, or the latest of the liveCarry
// minutes before it; minute 0 when there is none.
func latestLive(l *[HistoryMinutes]liveSample, i int) liveSample {
	for j := i; j >= 0 && j >= i-liveCarry; j-- {
		if l[j].minute != 0 {
			return l[j]
		}
	}
	return liveSample{}
}

// CountedElsewhere returns the shared storages (any but memory and file)
// whose live scopes another instance counts already, so that this one need
// not: those that an instance whose name sorts before Instance published a
// count of in the last two finished minutes. The first instance by name
// counts them; if it stops (or its count fails), its counts age out within
// two minutes and the next one counts again. With no Share, none.
func (h *History) CountedElsewhere(ctx context.Context) (map[string]bool, error) {
	if h.Share == nil {
		return nil, nil
	}
	now := UnixMinute(h.now())
	buckets, err := h.Share.OtherHistory(ctx, h.Instance, minuteStart(now-2))
	if err != nil {
		return nil, fmt.Errorf("read which storages other instances count: %w", err)
	}
	out := map[string]bool{}
	for _, b := range buckets {
		if b.LiveCounted && !separate(b.Storage) && b.Instance < h.Instance && UnixMinute(b.Minute) < now {
			out[b.Storage] = true
		}
	}
	return out, nil
}
