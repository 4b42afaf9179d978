package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// defaultGCHeapFloor is --gc-heap-floor's default. Go's collector runs
// each time the heap doubles, and at 4 MiB at the least: a server whose
// live heap is a few MiB, and which allocates a few KiB per request,
// collects dozens of times a second and spends a tenth of its CPU
// marking. Up to 16 MiB it collects four to five times less often, for at
// most 16 MiB of memory.
const defaultGCHeapFloor = 16 << 20

// maxGCPercent bounds how far the floor raises GOGC: at 1000 a live heap
// of 1.5 MiB already grows to 16 MiB between collections.
const maxGCPercent = 1000

// gcMetrics are what Go sizes the next collection's goal from: the heap
// the last collection found live, then the stacks and globals it scanned.
// The goal is live + (live + stacks + globals) × GOGC / 100.
var gcMetrics = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

// gcFloor raises GOGC after each collection so that, while the live heap
// is under half of floor, the next collection starts when the heap
// reaches floor rather than when it doubles. Past that, GOGC is Go's 100.
type gcFloor struct {
	floor uint64
	// mu keeps stop and a cleanup's afterGC apart, so that nothing sets
	// GOGC once stop has put Go's 100 back.
	mu      sync.Mutex
	stopped bool
	sample  []metrics.Sample
}

// gcSentinel is an object made unreachable at once, so that the next
// collection runs its cleanup; its pointer keeps it out of the tiny
// allocator, whose objects' cleanups may never run.
type gcSentinel struct{ _ *gcSentinel }

// tuneGC applies a floor of floor bytes to the collector (see gcFloor)
// and returns what undoes it. A GOGC variable, or a floor of 0, leaves
// Go's collector as it is.
func tuneGC(floor int, logger *slog.Logger) (stop func()) {
	if floor == 0 {
		return func() {}
	}
	if gogc, ok := os.LookupEnv("GOGC"); ok {
		logger.Info("the GOGC variable is set: --gc-heap-floor is not applied", "GOGC", gogc)
		return func() {}
	}
	g := &gcFloor{floor: uint64(floor), sample: make([]metrics.Sample, len(gcMetrics))}
	for i, name := range gcMetrics {
		g.sample[i].Name = name
	}
	g.afterGC()
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.stopped = true
		debug.SetGCPercent(100)
	}
}

// afterGC sets GOGC for the live heap the last collection found, and asks
// to run again after the next one.
func (g *gcFloor) afterGC() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return
	}
	metrics.Read(g.sample)
	var v [3]uint64
	for i, s := range g.sample {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	debug.SetGCPercent(floorPercent(v[0], v[0]+v[1]+v[2], g.floor))
	runtime.AddCleanup(&gcSentinel{}, (*gcFloor).afterGC, g)
}

// floorPercent is the GOGC at which a heap of live bytes, with scanned
// bytes of live heap, stacks and globals, grows to floor before the next
// collection: never under Go's 100, nor over maxGCPercent.
func floorPercent(live, scanned, floor uint64) int {
	if live == 0 || scanned == 0 || live+scanned >= floor {
		return 100
	}
	return int(min((floor-live)*100/scanned, maxGCPercent))
}
