package main

import (
	"bytes"
	"log/slog"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

func TestFloorPercent(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		live, scanned, floor uint64
		want                 int
	}{
		{0, 0, 16 * mib, 100},                 // nothing measured yet
		{2 * mib, 2 * mib, 16 * mib, 700},     // 2 + 2×7 = 16
		{2 * mib, 4 * mib, 16 * mib, 350},     // stacks and globals count
		{mib / 8, mib / 8, 16 * mib, 1000},    // bounded by maxGCPercent
		{8 * mib, 8 * mib, 16 * mib, 100},     // past half the floor: Go's default
		{20 * mib, 20 * mib, 16 * mib, 100},   // past the floor
		{6 * mib, 6 * mib, 16 * mib, 166},     // 6 + 6×1.66 ≈ 16
		{mib, 3 * mib, 64 * mib * 1024, 1000}, // a huge floor
	}
	for _, c := range cases {
		if got := floorPercent(c.live, c.scanned, c.floor); got != c.want {
			t.Errorf("floorPercent(%d, %d, %d) = %d, want %d", c.live, c.scanned, c.floor, got, c.want)
		}
	}
}

// gogc reads the GOGC that the runtime applies now.
func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// unsetGOGC runs the test without a GOGC variable, restoring it after.
func unsetGOGC(t *testing.T) {
	t.Setenv("GOGC", "")
	if err := os.Unsetenv("GOGC"); err != nil {
		t.Fatal(err)
	}
}

// The floor raises GOGC after a collection of this test's small heap, and
// its stop puts Go's 100 back.
func TestTuneGCRaisesGOGC(t *testing.T) {
	unsetGOGC(t)
	stop := tuneGC(256<<20, slog.New(slog.DiscardHandler))
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for gogc() <= 100 {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is still %d after collections with a floor of 256MiB", gogc())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the cleanup runs on its own goroutine
	}
	stop()
	stopped = true
	if got := gogc(); got != 100 {
		t.Fatalf("GOGC after stop: %d, want 100", got)
	}
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if got := gogc(); got != 100 {
		t.Fatalf("GOGC after stop and a collection: %d, want 100", got)
	}
}

// A GOGC variable is the operator's choice: the floor leaves it, and says so.
func TestTuneGCLeavesGOGCVariable(t *testing.T) {
	t.Setenv("GOGC", "100")
	var logs bytes.Buffer
	stop := tuneGC(256<<20, slog.New(slog.NewTextHandler(&logs, nil)))
	defer stop()
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := gogc(); got != 100 {
		t.Fatalf("GOGC: %d, want the variable's 100", got)
	}
	if !strings.Contains(logs.String(), "--gc-heap-floor is not applied") {
		t.Fatalf("no log saying the floor is not applied: %q", logs.String())
	}
}

func TestGCHeapFloorFlag(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := cli(t, dir, "", "serve", "--gc-heap-floor", "1MiB")
	want := "scopestore: serve: --gc-heap-floor (SCOPESTORE_GC_HEAP_FLOOR): must be 0 (Go's default) or between 4MiB and 64GiB. Try 'scopestore serve --help'.\n"
	if code != exitUsage || errOut != want {
		t.Fatalf("exit %d, stderr %q, want %q", code, errOut, want)
	}
	cfg := defaultConfig()
	if cfg.GCHeapFloor != 16<<20 {
		t.Fatalf("default floor %d, want 16MiB", cfg.GCHeapFloor)
	}
	cfg.GCHeapFloor = 0
	if err := cfg.validate(); err != nil {
		t.Fatalf("a floor of 0: %v", err)
	}
}
