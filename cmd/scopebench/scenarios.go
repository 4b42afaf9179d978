package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// scenario is one row of the table: a measurement divided by its baseline.
type scenario struct {
	name string
	// target is the ratio to meet, as the table shows it; met checks it.
	// A scenario measured for context has target noTarget and no met.
	// metBy, when set, checks the whole result instead (a ratio and a p99).
	target string
	met    func(ratio float64) bool
	metBy  func(Result) bool
	// redis, redisCluster and mysql tell which servers the scenario needs.
	redis, redisCluster, mysql bool
	// unavailable, when set, says why the scenario cannot run on this
	// machine ("" when it can): a tool it needs is missing.
	unavailable func() string
	run         func(b *bench, ctx context.Context) (Result, error)
}

// isMet checks res against the scenario's target.
func (sc scenario) isMet(res Result) bool {
	switch {
	case sc.metBy != nil:
		return sc.metBy(res)
	case sc.met != nil:
		return sc.met(res.Ratio)
	}
	return false
}

// whyNot says why the scenario cannot run with cfg on this machine, ""
// when it can.
func (sc scenario) whyNot(cfg config) string {
	if sc.redisCluster && cfg.RedisCluster == "" {
		return noCluster
	}
	if sc.unavailable != nil {
		return sc.unavailable()
	}
	return ""
}

// noTarget is the target of a scenario measured for context only.
const noTarget = "context"

func atLeast(x float64) func(float64) bool { return func(r float64) bool { return r >= x } }
func atMost(x float64) func(float64) bool  { return func(r float64) bool { return r <= x } }

// scenarios are the table's rows, in the order.
var scenarios = []scenario{
	{name: "memory", target: "≥ 0.8", met: atLeast(0.8),
		run: func(b *bench, ctx context.Context) (Result, error) {
			return b.versus(ctx, "memory", "memory", false, bareMemory)
		}},
	{name: "cookie", target: "≥ 0.8", met: atLeast(0.8), run: (*bench).cookie},
	{name: "redis-cluster", target: "≥ 0.8", met: atLeast(0.8), redis: true,
		run: func(b *bench, ctx context.Context) (Result, error) {
			return b.versus(ctx, "redis-cluster", redisConn, true, bareRedis)
		}},
	{name: "memcached", target: "≥ 0.8", met: atLeast(0.8), run: (*bench).memcachedVersus},
	{name: "redis-cluster-3", target: noTarget, redisCluster: true,
		run: func(b *bench, ctx context.Context) (Result, error) {
			return b.versus(ctx, "redis-cluster-3", redisClusterConn, true, bareRedisCluster)
		}},
	{name: "redis-local", target: "≥ 1.0", met: atLeast(1.0), redis: true,
		run: func(b *bench, ctx context.Context) (Result, error) {
			return b.versus(ctx, "redis-local", redisConn, false, bareRedis)
		}},
	{name: "mysql-cluster", target: "≥ 1.5", met: atLeast(1.5), mysql: true,
		run: func(b *bench, ctx context.Context) (Result, error) {
			return b.versus(ctx, "mysql-cluster", mysqlConn, true, luceeSQL)
		}},
	{name: "patch-redis", target: "≥ 1.0", met: atLeast(1.0), redis: true,
		run: func(b *bench, ctx context.Context) (Result, error) {
			return b.patchVersus(ctx, "patch-redis", redisConn, "redis-cluster")
		}},
	{name: "patch-mysql", target: "≥ 1.0", met: atLeast(1.0), mysql: true,
		run: func(b *bench, ctx context.Context) (Result, error) {
			return b.patchVersus(ctx, "patch-mysql", mysqlConn, "mysql-cluster")
		}},
	{name: "lock-redis", target: "≥ 0.8", met: atLeast(0.8), redis: true, run: (*bench).lockRedis},
	{name: "app-go", target: "≥ 1.0, p99 ≤ baseline's", metBy: fasterAndTighter(1.0), redis: true,
		run: func(b *bench, ctx context.Context) (Result, error) { return b.appVersus(ctx, appGo, appSCS) }},
	{name: "app-express", target: "≥ 0.8", met: atLeast(0.8), redis: true, unavailable: nodeMissing,
		run: func(b *bench, ctx context.Context) (Result, error) {
			return b.appVersus(ctx, appExpress, appConnectRedis)
		}},
	{name: "rows-1m", target: "≤ 2", met: atMost(2), mysql: true, run: (*bench).rows},
	{name: "cleaner", target: "≤ 3", met: atMost(3), mysql: true, run: (*bench).cleaner},
	{name: "rss-redis", target: "≤ +32 MiB", met: atMost(32), redis: true, run: (*bench).rss},
	{name: "heap-memory", target: "≤ 1.5", met: atMost(1.5), run: (*bench).heap},
	{name: floorRedis, target: noTarget, redis: true,
		run: func(b *bench, ctx context.Context) (Result, error) {
			return b.floorVersus(ctx, floorRedis, floorRedis, false)
		}},
	{name: floorRedisLocal, target: noTarget, redis: true,
		run: func(b *bench, ctx context.Context) (Result, error) {
			return b.floorVersus(ctx, floorRedisLocal, floorRedisLocal, false)
		}},
	{name: floorLockRedis, target: noTarget, redis: true,
		run: func(b *bench, ctx context.Context) (Result, error) {
			return b.floorVersus(ctx, floorLockRedis, floorRedis, true)
		}},
}

// runOrder runs the scenarios that share a setting together, so that the
// server's settings change as seldom as possible.
var runOrder = []string{"memory", "cookie", "redis-cluster", "memcached", "patch-redis", "lock-redis", "app-go", "app-express", "redis-cluster-3", "redis-local", "mysql-cluster", "patch-mysql",
	"cleaner", "rows-1m", "rss-redis", "heap-memory", floorRedis, floorRedisLocal, floorLockRedis}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.name
	}
	return names
}

func scenarioNamed(name string) scenario {
	for _, sc := range scenarios {
		if sc.name == name {
			return sc
		}
	}
	panic("scopebench: no scenario " + name)
}

// versus measures the API load+save cycle on a storage, in turns with the
// same cycle on a bare server, and divides its throughput by the bare
// server's.
func (b *bench) versus(ctx context.Context, name, storage string, cluster bool, bare string) (Result, error) {
	res := Result{Baseline: bare}
	if err := b.useSettings(ctx, storage, cluster); err != nil {
		return res, err
	}
	c, err := b.startBare(ctx, bare)
	if err != nil {
		return res, err
	}
	defer c.Stop()
	s, base, err := b.pair(ctx,
		b.spec(name, b.createScopes(b.server.addr, b.key), b.cycleOp(b.server.addr, b.key)),
		b.spec(bare+" (with "+name+")", b.createScopes(c.addr, ""), b.cycleOp(c.addr, "")))
	if err != nil {
		return res, err
	}
	c.Stop()
	// The raw backend cycles, for context.
	switch bare {
	case bareRedis:
		_, err = b.measureOnce(ctx, "raw-redis", b.rawRedis)
	case bareRedisCluster:
		_, err = b.measureOnce(ctx, "raw-redis-cluster", b.rawRedisCluster)
	case luceeSQL:
		_, err = b.measureOnce(ctx, "raw-mysql", b.rawMySQL)
	}
	return throughput(s, base, bare), err
}

// patchVersus measures PATCH incr on a storage with cluster = true, in
// turns with the same storage's load+save cycle, and divides its throughput
// by the cycle's.
func (b *bench) patchVersus(ctx context.Context, name, storage, cycle string) (Result, error) {
	res := Result{Baseline: cycle}
	if err := b.useSettings(ctx, storage, true); err != nil {
		return res, err
	}
	s, base, err := b.pair(ctx,
		b.spec(name, b.createScopes(b.server.addr, b.key), b.patchOp(b.server.addr)),
		b.spec(cycle+" (with "+name+")", b.createScopes(b.server.addr, b.key), b.cycleOp(b.server.addr, b.key)))
	if err != nil {
		return res, err
	}
	return throughput(s, base, cycle), nil
}

// pair measures a scenario and its baseline in turns (see measurePair) and
// records both.
func (b *bench) pair(ctx context.Context, a, base loadSpec) (*stats, *stats, error) {
	b.progress("  measuring %s and %s in %d rounds", a.name, base.name, b.cfg.Rounds)
	sa, sb, err := measurePair(ctx, a, base, b.cfg.Rounds)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range []*stats{sa, sb} {
		b.record(s)
	}
	return sa, sb, errors.Join(sa.err(), sb.err())
}

// record keeps a measurement for the report.
func (b *bench) record(s *stats) {
	b.measured[s.name] = s
	b.order = append(b.order, s.name)
	b.progress("  %s: %.0f ops/s, p50 %.2f ms, p99 %.2f ms (%d ops in %s)", s.name, s.opsPerSec(), s.p(50), s.p(99), s.ops, s.window.Round(time.Millisecond))
}

func throughput(s, base *stats, baseline string) Result {
	r := Result{
		OpsPerSec: s.opsPerSec(), P50ms: s.p(50), P99ms: s.p(99),
		Baseline: baseline, BaselineOpsPerSec: base.opsPerSec(), BaselineP99ms: base.p(99),
		kind: kindThroughput,
	}
	if r.BaselineOpsPerSec > 0 {
		r.Ratio = r.OpsPerSec / r.BaselineOpsPerSec
	}
	return r
}

// spec is a measurement with the run's clients, warm-up and duration.
func (b *bench) spec(name string, setup func(context.Context, *worker) error, op func(context.Context, *worker) error) loadSpec {
	return loadSpec{name: name, clients: b.cfg.Clients, warmup: b.cfg.Warmup, duration: b.cfg.Duration, setup: setup, op: op}
}

// createScopes makes a worker create its scopes, each with the run's data.
func (b *bench) createScopes(addr, key string) func(context.Context, *worker) error {
	return func(ctx context.Context, w *worker) error {
		for range scopesPerClient {
			body, err := w.do(ctx, "POST", addr+sessionsPath, key, putBody(b.data, 0), 201, true)
			if err != nil {
				return err
			}
			var sc struct {
				CFID string `json:"cfid"`
			}
			if err := json.Unmarshal(body, &sc); err != nil || sc.CFID == "" {
				return fmt.Errorf("POST %s answered no cfid: %.200s", sessionsPath, body)
			}
			w.cfids = append(w.cfids, sc.CFID)
		}
		return nil
	}
}

// cycleOp is what an application does on every request: load the scope at
// the start, save it at the end.
func (b *bench) cycleOp(addr, key string) func(context.Context, *worker) error {
	return func(ctx context.Context, w *worker) error {
		url := addr + sessionsPath + "/" + w.nextCFID()
		if _, err := w.do(ctx, "GET", url, key, nil, 200, false); err != nil {
			return err
		}
		w.seq++
		_, err := w.do(ctx, "PUT", url, key, putBody(b.data, w.seq), 200, false)
		return err
	}
}

var incrBody = []byte(`{"incr":{"hits":1}}`)

// patchOp increments a counter in the scope, atomically in the storage.
func (b *bench) patchOp(addr string) func(context.Context, *worker) error {
	return func(ctx context.Context, w *worker) error {
		_, err := w.do(ctx, "PATCH", addr+sessionsPath+"/"+w.nextCFID(), b.key, incrBody, 200, false)
		return err
	}
}

// loadOp loads a random scope of sample: a load only, no save.
func (b *bench) loadOp(addr string, sample []string) func(context.Context, *worker) error {
	return func(ctx context.Context, w *worker) error {
		_, err := w.do(ctx, "GET", addr+sessionsPath+"/"+sample[w.rng.IntN(len(sample))], b.key, nil, 200, false)
		return err
	}
}

// useMySQL makes the bench app keep sessions in MariaDB with cluster = true,
// and makes sure that scopestore created its tables.
func (b *bench) useMySQL(ctx context.Context) error {
	if err := b.useSettings(ctx, mysqlConn, true); err != nil {
		return err
	}
	w := newWorker(0)
	defer w.close()
	_, err := w.do(ctx, "GET", b.server.addr+sessionsPath+"/00000000-0000-4000-8000-000000000000", b.key, nil, 404, false)
	return err
}

// loadLive measures loads of the reservoir of the live rows filled so far,
// with no cleaner running, after making InnoDB write the fill's pages. It
// is measured again only when the table changed: rows-1m's last measurement
// is the cleaner's baseline.
func (b *bench) loadLive(ctx context.Context) (*stats, string, error) {
	name := fmt.Sprintf("load-%d-rows", b.live)
	s, err := b.measureOnce(ctx, name, func(ctx context.Context) (*stats, error) {
		if _, err := b.settle(ctx); err != nil {
			return nil, err
		}
		return measure(ctx, b.spec(name, nil, b.loadOp(b.server.addr, b.reservoir)))
	})
	return s, name, err
}

func latency(s, base *stats, baseline string) Result {
	r := Result{
		OpsPerSec: s.opsPerSec(), P50ms: s.p(50), P99ms: s.p(99),
		Baseline: baseline, BaselineOpsPerSec: base.opsPerSec(), BaselineP99ms: base.p(99),
		kind: kindLatency,
	}
	if r.BaselineP99ms > 0 {
		r.Ratio = r.P99ms / r.BaselineP99ms
	}
	return r
}

// rows measures the load p99 with -rows rows in cf_session_data against the
// load p99 with BaseRows rows. Both load a uniform sample of BaseRows
// scopes: all of the first rows, or rows spread over the whole table.
func (b *bench) rows(ctx context.Context) (Result, error) {
	if err := b.useMySQL(ctx); err != nil {
		return Result{}, err
	}
	if err := b.ensureLive(ctx, b.cfg.BaseRows); err != nil {
		return Result{}, err
	}
	base, baseName, err := b.loadLive(ctx)
	if err != nil {
		return Result{Baseline: baseName}, err
	}
	if err := b.ensureLive(ctx, b.cfg.Rows); err != nil {
		return Result{Baseline: baseName}, err
	}
	s, _, err := b.loadLive(ctx)
	if err != nil {
		return Result{Baseline: baseName}, err
	}
	r := latency(s, base, baseName)
	r.note = fmt.Sprintf("loads of %d random scopes among %d rows, against %d rows; InnoDB wrote each fill's pages first (FLUSH TABLES … FOR EXPORT)",
		len(b.reservoir), b.live, b.cfg.BaseRows)
	return r, nil
}

// cleanerBound is the least time the cleaner scenario waits for the cleaner
// to finish: 100,000 rows of 2 KiB take about a minute on a small machine.
const cleanerBound = 5 * time.Minute

// cleaner measures the load p99 while scopestore's cleaner deletes
// ExpiredRows expired rows, against the load p99 with no cleaner running. A
// second scopestore with a cleaner interval of 1s does the deleting and
// serves the loads; the measured window runs from the deletion of the
// oldest expired row to the deletion of the newest.
func (b *bench) cleaner(ctx context.Context) (Result, error) {
	baseName := "no cleaner"
	if err := b.useMySQL(ctx); err != nil {
		return Result{Baseline: baseName}, err
	}
	if err := b.ensureLive(ctx, b.cfg.BaseRows); err != nil {
		return Result{Baseline: baseName}, err
	}
	base, _, err := b.loadLive(ctx)
	if err != nil {
		return Result{Baseline: baseName}, err
	}
	first, last, err := b.fillExpired(ctx, b.cfg.ExpiredRows)
	if err != nil {
		return Result{Baseline: baseName}, err
	}
	settled, err := b.settle(ctx)
	if err != nil {
		return Result{Baseline: baseName}, err
	}
	history, err := b.historyLength(ctx)
	if err != nil {
		return Result{Baseline: baseName}, err
	}
	c, err := b.startScopestore(ctx, "scopestore-cleaner", "--cleaner-interval", "1s")
	if err != nil {
		return Result{Baseline: baseName}, err
	}
	defer c.Stop()

	bound := max(3*b.cfg.Duration, cleanerBound)
	stop := make(chan struct{})
	var times cleanerTimes
	watchCtx, cancelWatch := context.WithCancel(ctx)
	watched := make(chan error, 1)
	go func() {
		defer close(stop)
		watched <- b.watchCleaner(watchCtx, first, last, history, &times)
	}()
	spec := loadSpec{name: "cleaner", clients: b.cfg.Clients, duration: bound, stop: stop,
		op: b.loadOp(c.addr, b.reservoir)}
	run, err := runLoad(ctx, spec)
	cancelWatch()
	<-stop
	if err != nil {
		return Result{Baseline: baseName}, err
	}
	if werr := <-watched; werr != nil && !errors.Is(werr, context.Canceled) {
		return Result{Baseline: baseName}, werr
	}
	if times.started.IsZero() {
		return Result{Baseline: baseName}, fmt.Errorf("the cleaner deleted none of the %d expired rows within %s", b.cfg.ExpiredRows, bound)
	}
	c.Stop()
	end, done := times.purged, ""
	switch {
	case times.deleted.IsZero():
		end, done = run.started.Add(run.window), "; it had not finished when the measurement ended"
	case times.purged.IsZero():
		end = times.deleted
	default:
		done = fmt.Sprintf(", and InnoDB purged them %s later", times.purged.Sub(times.deleted).Round(time.Millisecond))
	}
	from, window := times.started.Sub(run.started), end.Sub(times.started)
	s := summarize("cleaner", run, func(x sample) bool { return x.start >= from && x.start < from+window }, window)
	b.record(s)
	if err := s.err(); err != nil {
		return Result{Baseline: baseName}, err
	}
	r := latency(s, base, baseName)
	deleted := window
	if !times.deleted.IsZero() {
		deleted = times.deleted.Sub(times.started)
	}
	r.note = fmt.Sprintf("loads of %d scopes among %d rows while a second scopestore's cleaner deleted %d expired rows in %s%s (%s); the window is %s",
		len(b.reservoir), b.live, b.cfg.ExpiredRows, deleted.Round(time.Millisecond), done, settled, window.Round(time.Millisecond))
	return r, nil
}

// rss measures a fresh scopestore's resident memory with no scope and with
// RSSScopes scopes stored in Redis with cluster = true.
func (b *bench) rss(ctx context.Context) (Result, error) {
	res := Result{Baseline: "0 scopes", kind: kindRSS}
	if err := b.useSettings(ctx, redisConn, true); err != nil {
		return res, err
	}
	c, err := b.startScopestore(ctx, "scopestore-rss")
	if err != nil {
		return res, err
	}
	defer c.Stop()
	if err := b.waitSettings(ctx, c, b.cur); err != nil {
		return res, err
	}
	// A load of a missing scope connects to Redis.
	w := newWorker(0)
	_, err = w.do(ctx, "GET", c.addr+sessionsPath+"/00000000-0000-4000-8000-000000000000", b.key, nil, 404, false)
	w.close()
	if err != nil {
		return res, err
	}
	time.Sleep(500 * time.Millisecond)
	before, err := c.RSS()
	if err != nil {
		return res, err
	}
	start := time.Now()
	err = forN(ctx, b.cfg.Clients, b.cfg.RSSScopes, func(ctx context.Context, w *worker, _ int) error {
		_, err := w.do(ctx, "POST", c.addr+sessionsPath, b.key, putBody(b.data, 0), 201, false)
		return err
	})
	if err != nil {
		return res, err
	}
	took := time.Since(start)
	time.Sleep(time.Second)
	after, err := c.RSS()
	if err != nil {
		return res, err
	}
	res.Ratio = after - before
	res.rssBefore, res.rssAfter = before, after
	res.note = fmt.Sprintf("RSS %.1f MiB with 0 scopes, %.1f MiB after creating %d scopes (%.0f creates/s)", before, after, b.cfg.RSSScopes, float64(b.cfg.RSSScopes)/took.Seconds())
	b.progress("  %s", res.note)
	return res, nil
}

// heap measures the heap bytes per scope of the memory storage, in process.
func (b *bench) heap(context.Context) (Result, error) {
	res := Result{Baseline: fmt.Sprintf("%d B", b.cfg.Size), kind: kindHeap}
	perScope, err := heapPerScope(b.cfg.HeapScopes, b.data)
	if err != nil {
		return res, err
	}
	res.Ratio = perScope / float64(b.cfg.Size)
	res.heapPerScope = perScope
	res.note = fmt.Sprintf("%.0f heap bytes per scope of %d bytes of data: %d scopes created through scopes.Engine on the memory storage, in scopebench's own process (runtime.ReadMemStats after GC)", perScope, b.cfg.Size, b.cfg.HeapScopes)
	b.progress("  %s", res.note)
	return res, nil
}
