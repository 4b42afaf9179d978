package scopes

import (
	"context"
	"errors"
	"testing"
	"time"
)

// expiredBacklog is a storage with n expired scopes, which DeleteExpired
// deletes a batch at a time, taking batchTime for each.
type expiredBacklog struct {
	Store
	n, batches int
	batchTime  time.Duration
}

func (s *expiredBacklog) DeleteExpired(ctx context.Context, now time.Time, limit int) ([]Key, error) {
	time.Sleep(s.batchTime)
	s.batches++
	keys := make([]Key, min(limit, s.n))
	s.n -= len(keys)
	return keys, nil
}

// The cleaner pauses after each full batch for as long as it took, and not
// after the last, partial one: while it catches up, the storage serves
// requests half the time.
func TestEngine_CleanerPausesBetweenBatches(t *testing.T) {
	e := NewEngine(nil)
	var pauses []time.Duration
	e.pause = func(_ context.Context, d time.Duration) { pauses = append(pauses, d) }
	st := &expiredBacklog{n: 3*CleanBatch + 10, batchTime: 2 * time.Millisecond}
	n, err := e.deleteExpired(context.Background(), "file", st)
	if err != nil || n != 3*CleanBatch+10 || st.batches != 4 {
		t.Fatalf("deleted %d in %d batches (%v), want %d in 4", n, st.batches, err, 3*CleanBatch+10)
	}
	if len(pauses) != 3 {
		t.Fatalf("%d pauses, want one after each of the 3 full batches", len(pauses))
	}
	for i, d := range pauses {
		// At least the batch's own time, which the fake spends sleeping.
		if d < st.batchTime {
			t.Errorf("pause %d lasted %s, shorter than its batch (%s)", i+1, d, st.batchTime)
		}
	}
}

// The memory storage, which serves no other process, is swept without
// pauses.
func TestEngine_MemorySweepDoesNotPause(t *testing.T) {
	e := NewEngine(nil)
	paused := 0
	e.pause = func(context.Context, time.Duration) { paused++ }
	st := &expiredBacklog{n: 2*CleanBatch + 1}
	if n, err := e.deleteExpired(context.Background(), StorageMemory, st); err != nil || n != 2*CleanBatch+1 || paused != 0 {
		t.Fatalf("deleted %d (%v) with %d pauses, want %d and none", n, err, paused, 2*CleanBatch+1)
	}
}

// A cleaner stopped during its pause (scopestore shutting down) does not
// wait it out, and sends no other batch.
func TestEngine_CleanerStopsDuringItsPause(t *testing.T) {
	e := NewEngine(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var paused bool
	e.pause = func(ctx context.Context, d time.Duration) {
		paused = true
		// An hour: only the context can end it.
		e.pause = nil
		cancel()
		e.cleanPause(ctx, time.Hour)
	}
	st := &expiredBacklog{n: 5 * CleanBatch}
	n, err := e.deleteExpired(ctx, "file", st)
	if !paused || n != CleanBatch || st.batches != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("paused %v, deleted %d in %d batches (%v); want a pause, %d in 1 batch and context.Canceled",
			paused, n, st.batches, err, CleanBatch)
	}
}
