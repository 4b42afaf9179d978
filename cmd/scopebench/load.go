package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one HTTP request of the load generator.
const requestTimeout = 30 * time.Second

// worker is one client of the load generator, with its own connection.
type worker struct {
	id     int
	client *http.Client
	rng    *rand.Rand
	// cfids are the scopes this worker created and cycles through.
	cfids []string
	next  int
	// seq numbers the worker's saves, so that each writes a new value.
	seq uint64
}

// newWorker returns a worker whose client keeps one connection alive.
func newWorker(id int) *worker {
	tr := &http.Transport{
		MaxIdleConns:        1,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &worker{
		id:     id,
		client: &http.Client{Transport: tr, Timeout: requestTimeout},
		rng:    rand.New(rand.NewPCG(uint64(id)+1, uint64(time.Now().UnixNano()))),
	}
}

// nextCFID returns the worker's scopes in turn.
func (w *worker) nextCFID() string {
	c := w.cfids[w.next%len(w.cfids)]
	w.next++
	return c
}

// do sends one request and reads the whole answer, which must have status
// want; the body is returned only when keep is true.
func (w *worker) do(ctx context.Context, method, url, key string, body []byte, want int, keep bool) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := w.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return nil, fmt.Errorf("%s %s: status %d, want %d: %s", method, url, res.StatusCode, want, bytes.TrimSpace(msg))
	}
	if keep {
		return io.ReadAll(res.Body)
	}
	_, err = io.Copy(io.Discard, res.Body)
	return nil, err
}

// close drops the worker's idle connection.
func (w *worker) close() { w.client.CloseIdleConnections() }

// loadSpec is one measurement: clients running op in a loop.
type loadSpec struct {
	name     string
	clients  int
	warmup   time.Duration
	duration time.Duration
	// setup prepares a worker (creates its scopes) before any op runs.
	setup func(ctx context.Context, w *worker) error
	op    func(ctx context.Context, w *worker) error
	// stop, when set, ends the measurement early once closed.
	stop <-chan struct{}
	// around, when set, is called before each round of measurePair (its
	// warm-up included) and returns what to call after it: the app
	// scenarios account CPU time and Redis commands to the side that ran.
	around func() (after func())
}

// sample is one operation: when it started, after the warm-up, and how long it took.
type sample struct {
	start, took time.Duration
}

// stats are the measured operations of one loadSpec.
type stats struct {
	name string
	// ops counts the operations that started within the window and succeeded.
	ops int
	// window is the measured time.
	window time.Duration
	// lat holds the latency of each successful operation, sorted.
	lat    []time.Duration
	errors int
	// firstErr is the first failure, for the report.
	firstErr error
}

func (s *stats) opsPerSec() float64 {
	if s.window <= 0 {
		return 0
	}
	return float64(s.ops) / s.window.Seconds()
}

// p returns the p-th percentile latency in milliseconds.
func (s *stats) p(p float64) float64 {
	return float64(percentile(s.lat, p)) / float64(time.Millisecond)
}

// err is the measurement's failure: any failed operation fails it, since a
// benchmark of errors measures nothing.
func (s *stats) err() error {
	if s.errors == 0 && s.ops > 0 {
		return nil
	}
	if s.errors == 0 {
		return fmt.Errorf("%s: no operation completed in the measured window", s.name)
	}
	return fmt.Errorf("%s: %d of %d operations failed; the first: %w", s.name, s.errors, s.errors+s.ops, s.firstErr)
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest value with at least p percent of the
// values at or below it. It returns 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// loadRun is what a load generator saw after its warm-up.
type loadRun struct {
	// samples are the successful operations.
	samples []sample
	// failed counts the failed operations; first is the first failure.
	failed int
	first  error
	// started is the end of the first warm-up, where the samples' start
	// times count from.
	started time.Time
	// window is the measured time, summed over the rounds.
	window time.Duration
}

// loadGen is a load generator: its workers, with their connections and
// scopes, and what they measured so far. It measures in rounds, so that two
// generators can take turns on a noisy machine and see the same conditions.
type loadGen struct {
	spec    loadSpec
	workers []*worker
	run     loadRun
}

// newLoadGen creates the workers of spec and runs their setup.
func newLoadGen(ctx context.Context, spec loadSpec) (*loadGen, error) {
	g := &loadGen{spec: spec, workers: make([]*worker, spec.clients)}
	for i := range g.workers {
		g.workers[i] = newWorker(i)
	}
	if spec.setup != nil {
		if err := eachWorker(ctx, g.workers, func(w *worker) error { return spec.setup(ctx, w) }); err != nil {
			g.close()
			return nil, fmt.Errorf("%s: setup: %w", spec.name, err)
		}
	}
	return g, nil
}

// close drops the workers' connections.
func (g *loadGen) close() {
	for _, w := range g.workers {
		w.close()
	}
}

// round runs op on every worker for warmup, unmeasured, then for d, or
// until spec.stop is closed.
func (g *loadGen) round(ctx context.Context, warmup, d time.Duration) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	from := time.Now().Add(warmup)
	end := from.Add(d)
	if g.run.started.IsZero() {
		g.run.started = from
	}
	var stopped atomic.Bool
	if g.spec.stop != nil {
		go func() {
			select {
			case <-g.spec.stop:
				stopped.Store(true)
			case <-runCtx.Done():
			}
		}()
	}
	per := make([][]sample, len(g.workers))
	fails := make([]int, len(g.workers))
	firsts := make([]error, len(g.workers))
	var wg sync.WaitGroup
	for i, w := range g.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := make([]sample, 0, 4096)
			for {
				t := time.Now()
				if !t.Before(end) || stopped.Load() || runCtx.Err() != nil {
					break
				}
				err := g.spec.op(runCtx, w)
				took := time.Since(t)
				if t.Before(from) {
					continue
				}
				if err != nil {
					if runCtx.Err() != nil {
						break
					}
					fails[i]++
					if firsts[i] == nil {
						firsts[i] = err
					}
					continue
				}
				own = append(own, sample{start: t.Sub(g.run.started), took: took})
			}
			per[i] = own
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	g.run.window += min(max(time.Since(from), 0), d)
	for i := range per {
		g.run.samples = append(g.run.samples, per[i]...)
		g.run.failed += fails[i]
		if g.run.first == nil {
			g.run.first = firsts[i]
		}
	}
	return nil
}

// runLoad runs spec in one round: setup, warm-up, duration.
func runLoad(ctx context.Context, spec loadSpec) (loadRun, error) {
	g, err := newLoadGen(ctx, spec)
	if err != nil {
		return loadRun{}, err
	}
	defer g.close()
	err = g.round(ctx, spec.warmup, spec.duration)
	return g.run, err
}

// measure runs spec in one round and summarizes it.
func measure(ctx context.Context, spec loadSpec) (*stats, error) {
	run, err := runLoad(ctx, spec)
	if err != nil {
		return nil, err
	}
	return summarize(spec.name, run, nil, run.window), nil
}

// measurePair measures a and b in turns, rounds rounds of duration/rounds
// each (a b, b a, a b, …), so that the machine's changing load weighs on
// both alike; each warms up before its first round.
func measurePair(ctx context.Context, a, b loadSpec, rounds int) (*stats, *stats, error) {
	ga, err := newLoadGen(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	defer ga.close()
	gb, err := newLoadGen(ctx, b)
	if err != nil {
		return nil, nil, err
	}
	defer gb.close()
	rounds = max(rounds, 1)
	for r := range rounds {
		first, second := ga, gb
		if r%2 == 1 {
			first, second = gb, ga
		}
		for _, g := range []*loadGen{first, second} {
			warmup := time.Duration(0)
			if r == 0 {
				warmup = g.spec.warmup
			}
			var after func()
			if g.spec.around != nil {
				after = g.spec.around()
			}
			err := g.round(ctx, warmup, g.spec.duration/time.Duration(rounds))
			if after != nil {
				after()
			}
			if err != nil {
				return nil, nil, err
			}
		}
	}
	return summarize(a.name, ga.run, nil, ga.run.window), summarize(b.name, gb.run, nil, gb.run.window), nil
}

// summarize keeps the samples for which keep is true (all when it is nil),
// sorts their latencies, and counts their rate over window.
func summarize(name string, run loadRun, keep func(sample) bool, window time.Duration) *stats {
	s := &stats{name: name, window: window, errors: run.failed, firstErr: run.first}
	for _, x := range run.samples {
		if keep == nil || keep(x) {
			s.lat = append(s.lat, x.took)
		}
	}
	slices.Sort(s.lat)
	s.ops = len(s.lat)
	return s
}

// eachWorker runs fn on every worker at once and returns the first error.
func eachWorker(ctx context.Context, workers []*worker, fn func(w *worker) error) error {
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(w)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// forN runs fn n times over clients goroutines, each with its own worker,
// and returns the first error.
func forN(ctx context.Context, clients, n int, fn func(ctx context.Context, w *worker, i int) error) error {
	workers := make([]*worker, min(clients, max(n, 1)))
	for i := range workers {
		workers[i] = newWorker(i)
	}
	defer func() {
		for _, w := range workers {
			w.close()
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	err := eachWorker(ctx, workers, func(w *worker) error {
		for i := int(next.Add(1)) - 1; i < n && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
			if err := fn(ctx, w, i); err != nil {
				once.Do(func() { first = err; cancel() })
				break
			}
		}
		return nil
	})
	if first != nil {
		return first
	}
	return err
}
