package redis

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// The autopipeline param: on by default outside Cluster mode, off by
// default in it, where true is refused; anything but a boolean is refused
// naming the param.
func TestAutopipelineParam(t *testing.T) {
	for _, tc := range []struct {
		params       map[string]string
		on           bool
		scriptsAlone bool
		refused      bool
	}{
		{params: map[string]string{}, on: true},
		{params: map[string]string{"autopipeline": "true"}, on: true},
		{params: map[string]string{"autopipeline": "false"}},
		{params: map[string]string{"mode": "sentinel", "master": "m"}, on: true},
		// Writes that wait for replicas keep their own pipeline with WAIT.
		{params: map[string]string{"min_replicas_acked": "1"}, on: true, scriptsAlone: true},
		{params: map[string]string{"mode": "cluster"}},
		{params: map[string]string{"mode": "cluster", "autopipeline": "false"}},
		{params: map[string]string{"mode": "cluster", "autopipeline": "true"}, refused: true},
		{params: map[string]string{"autopipeline": "sometimes"}, refused: true},
	} {
		params := map[string]string{"host": "127.0.0.1", "port": "1"}
		for k, v := range tc.params {
			params[k] = v
		}
		s, err := Open(context.Background(), scopes.Connection{Name: "c", Kind: "cache", Type: "redis", Params: params})
		if tc.refused {
			if scopes.ErrorCode(err) != scopes.EInvalid || !strings.Contains(err.Error(), "autopipeline") {
				t.Errorf("%v: got %v, want an EInvalid naming autopipeline", tc.params, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.params, err)
		}
		_, reads := s.reads.(*goredis.AutoPipeliner)
		_, scripts := s.scripts.(*goredis.AutoPipeliner)
		if reads != tc.on || scripts != (tc.on && !tc.scriptsAlone) {
			t.Errorf("%v: reads autopipelined %v, scripts %v, want %v and %v", tc.params, reads, scripts, tc.on, tc.on && !tc.scriptsAlone)
		}
		_ = s.Close()
	}
}

// batchHook holds the first command of the loads it sees until hold is
// closed, so that the others queue meanwhile, and records the loads of
// each batch that goes to Redis.
type batchHook struct {
	hold  chan struct{}
	once  sync.Once
	mu    sync.Mutex
	loads []int
}

func (h *batchHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *batchHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		h.see([]goredis.Cmder{cmd})
		return next(ctx, cmd)
	}
}

func (h *batchHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		h.see(cmds)
		return next(ctx, cmds)
	}
}

func (h *batchHook) see(cmds []goredis.Cmder) {
	n := 0
	for _, c := range cmds {
		if c.Name() == "get" {
			n++
		}
	}
	if n == 0 {
		return
	}
	h.once.Do(func() { <-h.hold })
	h.mu.Lock()
	h.loads = append(h.loads, n)
	h.mu.Unlock()
}

// savedSessions saves n sessions, each with data of its own.
func savedSessions(t *testing.T, s *Store, n int, now time.Time) []scopes.Record {
	t.Helper()
	recs := make([]scopes.Record, n)
	for i := range recs {
		recs[i] = newRecord("shop", scopes.Session, now, fmt.Sprintf(`{"i":%d}`, i))
		save(t, s, recs[i])
	}
	return recs
}

// loadOwn loads rec and fails unless it comes back with its own data.
func loadOwn(ctx context.Context, s *Store, rec scopes.Record, now time.Time) error {
	got, found, err := s.Load(ctx, rec.Key, now)
	if err == nil && (!found || string(got.Data) != string(rec.Data)) {
		err = fmt.Errorf("load of %s: found %v, data %s, want %s", rec.CFID, found, got.Data, rec.Data)
	}
	return err
}

// With autopipelining, the loads of concurrent requests go to Redis
// together while one batch is on its way, and each gets its own answer;
// with it off, each load is a command of its own.
func TestAutopipelineSendsConcurrentLoadsTogether(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprintf("autopipeline=%v", on), func(t *testing.T) {
			ctx := context.Background()
			params := realParams(t)
			params["autopipeline"] = fmt.Sprint(on)
			s := MustOpen(t, params)
			now := time.Now()
			const n = 24
			recs := savedSessions(t, s, n, now)
			h := &batchHook{hold: make(chan struct{})}
			s.client.AddHook(h)
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for _, rec := range recs {
				wg.Go(func() {
					if err := loadOwn(ctx, s, rec, now); err != nil {
						errs <- err
					}
				})
			}
			// Time for the loads to queue behind the first, held one; the
			// test asserts no duration, only what went together.
			time.Sleep(500 * time.Millisecond)
			close(h.hold)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			total, largest := 0, 0
			for _, l := range h.loads {
				total, largest = total+l, max(largest, l)
			}
			if total != n {
				t.Errorf("Redis was sent %d loads, want %d", total, n)
			}
			if on && largest < 2 {
				t.Errorf("batches of loads %v: none went together", h.loads)
			}
			if !on && largest != 1 {
				t.Errorf("batches of loads %v with autopipeline off, want one load each", h.loads)
			}
			t.Logf("loads per batch: %v", h.loads)
		})
	}
}

// A request that ends while its load waits in a batch fails none of the
// other loads of that batch.
func TestAutopipelineCancelledRequestLeavesTheOthers(t *testing.T) {
	s := MustOpen(t, realParams(t))
	now := time.Now()
	const n = 8
	recs := savedSessions(t, s, n, now)
	h := &batchHook{hold: make(chan struct{})}
	s.client.AddHook(h)
	cancelled, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, rec := range recs {
		ctx := context.Background()
		if i == n-1 {
			ctx = cancelled
		}
		wg.Go(func() { errs[i] = loadOwn(ctx, s, rec, now) })
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	close(h.hold)
	wg.Wait()
	for i, err := range errs[:n-1] {
		if err != nil {
			t.Errorf("load %d, batched with a cancelled one: %v", i, err)
		}
	}
	t.Logf("the cancelled load answered %v; loads per batch: %v", errs[n-1], h.loads)
}
