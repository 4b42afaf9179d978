package redis

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// These tests kill a master of the shared test topology, or fail one over:
// they leave it healthy when they end (the killed node restarted, rejoined
// as a replica), and never run in parallel.

// Bounds of the failover tests.
const (
	// promotionWithin bounds the wait for a replica to take over.
	promotionWithin = 30 * time.Second
	// errorsEndWithin is how soon after the promotion every request must be
	// answered without error again.
	errorsEndWithin = 5 * time.Second
	// loadAfterPromotion is how long the load goes on after the promotion.
	loadAfterPromotion = 10 * time.Second
)

// A master of the cluster killed under load: its replica takes over in
// seconds, requests that reach the dead master fail with 503 (or wait for
// the promotion, their outcome resolved by sending the write again) and are
// answered without error again within seconds of the promotion; an
// increment answered without error is stored exactly once, one answered 503
// is not stored; and creating a scope in a bucket of a live master never
// waits for the dead one, though it holds the registry of the app's indexes.
func TestClusterFailover(t *testing.T) {
	params := clusterParams(t)
	script := topologyScript(t)
	if ok, out := topologyHealthy(script); !ok {
		t.Fatalf("the topology is not healthy before the test (bash %s start repairs it):\n%s", script, out)
	}
	ctx := context.Background()
	goredisLog := clientLog(t)
	s := MustOpen(t, params)
	cc := s.client.(*goredis.ClusterClient)
	e, set, logs := failoverEngine(s, true)

	sessions := createSessions(t, e, set, "shop", 50)

	// The victim is the master of the registry key, which every first write
	// of an (app, kind) touches: creates in other masters' buckets must not
	// depend on it.
	reg, err := cc.MasterForKey(ctx, s.registryKey())
	if err != nil {
		t.Fatal(err)
	}
	victim, err := describeMaster(ctx, reg.Options().Addr)
	if err != nil {
		t.Fatal(err)
	}
	owner := func(app, cfid string) string {
		c, err := cc.MasterForKey(ctx, s.scopeKey(bucketOf(app, scopes.Session, cfid), cfid))
		if err != nil {
			t.Fatal(err)
		}
		return c.Options().Addr
	}
	onVictim := map[scopes.Key]bool{}
	var victimSession scopes.Key
	for _, k := range sessions {
		if owner(k.App, k.CFID) == victim.addr {
			onVictim[k], victimSession = true, k
		}
	}
	if len(onVictim) == 0 {
		t.Fatalf("none of the %d sessions is on %s, the master to kill", len(sessions), victim.addr)
	}
	// During the outage, sessions are created for shop, whose scopes are
	// in the registry already, and for shop2, whose first write must try
	// to add it to the registry on the dead master. The owners of their
	// buckets, as they are before the outage:
	apps := []string{"shop", "shop2"}
	owners := map[string]string{}
	for _, app := range apps {
		for i := range len(buckets) {
			owners[app+string(buckets[i])] = owner(app, string(buckets[i]))
		}
	}
	t.Logf("killing master %s (pid %d, replica %s), which holds the registry key and %d of %d sessions",
		victim.addr, victim.pid, victim.replica, len(onVictim), len(sessions))

	l := startLoad(e, set, "shop", sessions, 8, 0, 20*time.Second)
	time.Sleep(2 * time.Second)
	killedAt := time.Now()
	if err := victim.kill(); err != nil {
		l.finish()
		t.Fatalf("kill %s: %v", victim.addr, err)
	}
	t.Cleanup(func() {
		if err := victim.start(); err != nil {
			t.Errorf("start the killed node again: %v", err)
		}
		restoreTopology(t, 45*time.Second)
	})

	// Creates during the outage, from a few goroutines so that one waiting
	// on the dead master does not keep the others from trying the live
	// ones; each bounded by 5s, so that one in a live master's bucket that
	// waits on the dead master fails.
	type create struct {
		app, cfid  string
		live       bool
		start, end time.Time
		err        error
	}
	var (
		outage    atomic.Bool
		createsMu sync.Mutex
		creates   []create
		createsWG sync.WaitGroup
	)
	outage.Store(true)
	for g := range 6 {
		createsWG.Add(1)
		go func() {
			defer createsWG.Done()
			app := apps[g%len(apps)]
			for i := 0; i < 10_000 && outage.Load() && time.Since(killedAt) < promotionWithin; i++ {
				c := create{app: app, start: time.Now()}
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				sc, err := e.Create(cctx, set, app, scopes.Session, nil)
				cancel()
				c.end, c.err = time.Now(), err
				if err == nil {
					c.cfid, c.live = sc.CFID, owners[app+sc.CFID[:1]] != victim.addr
				}
				createsMu.Lock()
				creates = append(creates, c)
				createsMu.Unlock()
			}
		}()
	}

	// The promotion as the replica tells it, and as the store's client
	// learns it; and when a live master says the cluster is down (between
	// the dead master's FAIL flag and the promotion, with Redis's default
	// cluster-require-full-coverage every node refuses every key).
	var promotedAt, switchedAt, downAt, upAt time.Time
	victimTag := bucketOf(victimSession.App, victimSession.Kind, victimSession.CFID)
	var other string
	for _, a := range owners {
		if a != victim.addr {
			other = a
		}
	}
	for i := 0; i < 2000 && time.Since(killedAt) < promotionWithin; i++ {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		if upAt.IsZero() {
			if state, err := clusterState(pctx, other); err == nil {
				switch {
				case state != "ok" && downAt.IsZero():
					downAt = time.Now()
				case state == "ok" && !downAt.IsZero():
					upAt = time.Now()
				}
			}
		}
		if promotedAt.IsZero() {
			if r, err := role(pctx, victim.replica); err == nil && r == "master" {
				promotedAt = time.Now()
			}
		}
		if switchedAt.IsZero() {
			if c, err := cc.MasterForKey(pctx, s.scopeKey(victimTag, victimSession.CFID)); err == nil && c.Options().Addr == victim.replica {
				switchedAt = time.Now()
			}
		}
		cancel()
		if !promotedAt.IsZero() && !switchedAt.IsZero() && (downAt.IsZero() || !upAt.IsZero()) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	outage.Store(false)
	createsWG.Wait()
	if promotedAt.IsZero() {
		l.finish()
		t.Fatalf("%s was not promoted within %v of the kill", victim.replica, promotionWithin)
	}
	time.Sleep(loadAfterPromotion - time.Since(promotedAt))
	ops := l.finish()
	stoppedAt := time.Now()

	since := func(at time.Time) string {
		if at.IsZero() {
			return "never"
		}
		return at.Sub(promotedAt).Round(10 * time.Millisecond).String()
	}
	t.Logf("replica %s promoted %v after the kill; the store's client routed its slots to it %s after the promotion",
		victim.replica, promotedAt.Sub(killedAt).Round(10*time.Millisecond), since(switchedAt))
	t.Logf("master %s said cluster_state:fail from %s to %s relative to the promotion", other, since(downAt), since(upAt))

	// The creates during the outage: those in live masters' buckets all
	// succeed, without waiting for the dead master.
	var live, liveFailed, dead, deadOK int
	liveTook := map[string][]time.Duration{}
	for _, c := range creates {
		onLive := c.live
		if c.err != nil {
			// A failed create names no cfid: it was in the dead master's
			// bucket when that is what it failed to reach, or when its
			// outcome is unknown: only the killed master drops a
			// connection under a command (EOF), and a create in flight
			// then stays unknown until the replica is promoted, which can
			// take longer than the create's own deadline.
			msg := c.err.Error()
			onLive = !strings.Contains(msg, victim.addr) && !strings.Contains(msg, "may or may not have been applied")
		}
		if !onLive {
			dead++
			if c.err == nil {
				deadOK++
			}
			continue
		}
		if c.start.Before(promotedAt) {
			live++
			liveTook[c.app] = append(liveTook[c.app], c.end.Sub(c.start))
			if c.err != nil {
				liveFailed++
				if liveFailed <= 3 {
					t.Errorf("a create in a live master's bucket failed during the outage, after %v: %v", c.end.Sub(c.start), c.err)
				}
			}
		}
	}
	t.Logf("creates during the outage: %d in live masters' buckets (%d failed); %d waited on the dead master (%d of them succeeded once it was replaced)",
		live, liveFailed, dead, deadOK)
	for _, app := range apps {
		p50, p99, top := percentiles(liveTook[app])
		t.Logf("  %s: %d creates in live masters' buckets took p50 %v, p99 %v, max %v", app, len(liveTook[app]), p50, p99, top)
	}
	if live == 0 {
		t.Errorf("no create reached a live master's bucket during the outage (%d creates in all)", len(creates))
	}

	r := judge(t, s, ops)
	var firstOKOnVictim time.Time
	for _, o := range ops {
		if o.err == nil && onVictim[o.key] && o.end.After(killedAt) && o.start.After(killedAt) && (firstOKOnVictim.IsZero() || o.end.Before(firstOKOnVictim)) {
			firstOKOnVictim = o.end
		}
	}
	t.Logf("load: %d increments in %v (%d answered without error, %d answered 503 with the write not applied, %d whose outcome was unknown, %d of those stored)",
		r.incrs, stoppedAt.Sub(killedAt.Add(-2*time.Second)).Round(time.Second), r.acked, r.failed, r.unknown, r.unknownStored)
	t.Logf("errors: first %s, last %s relative to the promotion; first increment on the killed master's sessions sent after the kill answered %s after the promotion",
		since(r.firstErr), since(r.lastErr), since(firstOKOnVictim))
	var took, tookAfter []time.Duration
	var lastOfOutage time.Time
	for _, o := range ops {
		took = append(took, o.end.Sub(o.start))
		if o.start.After(promotedAt.Add(errorsEndWithin)) {
			tookAfter = append(tookAfter, o.end.Sub(o.start))
		}
		if o.start.Before(promotedAt) && o.end.After(lastOfOutage) {
			lastOfOutage = o.end
		}
	}
	p50, p99, top := percentiles(took)
	a50, a99, atop := percentiles(tookAfter)
	t.Logf("latency: all p50 %v, p99 %v, max %v; sent more than %v after the promotion p50 %v, p99 %v, max %v; the last request sent before the promotion answered %s after it",
		p50, p99, top, errorsEndWithin, a50, a99, atop, since(lastOfOutage))
	r.logCauses(t)
	t.Logf("engine and store log:\n%s", logs)
	t.Logf("go-redis log:\n%s", goredisLog)

	if !r.lastErr.IsZero() && r.lastErr.Sub(promotedAt) > errorsEndWithin {
		t.Errorf("an error was answered %v after the promotion, over %v", r.lastErr.Sub(promotedAt), errorsEndWithin)
	}
	checkTally(t, r)
}

// checkTally checks what holds of a load whatever the topology: every error
// is 503, a write answered 503 with a known outcome is not stored, and an
// increment answered without error is stored once.
func checkTally(t *testing.T, r tally) {
	t.Helper()
	for i, o := range r.other {
		if i == 5 {
			t.Errorf("… and %d more errors that are not 503", len(r.other)-i)
			break
		}
		t.Errorf("%s answered with code %s, want %s: %v", opName(o), scopes.ErrorCode(o.err), scopes.EUnavailable, o.err)
	}
	if r.failedStored > 0 {
		t.Errorf("%d of %d increments answered 503 (not applied) are stored", r.failedStored, r.failed)
	}
	if r.ackedTwice > 0 {
		t.Errorf("%d of %d increments answered without error are stored more than once", r.ackedTwice, r.acked)
	}
	if r.ackedLost > 0 || r.createsLost > 0 {
		t.Errorf("%d of %d increments and %d of %d creates answered without error are not stored", r.ackedLost, r.acked, r.createsLost, r.createsAcked)
		for i, o := range r.lost {
			if i == 5 {
				break
			}
			t.Logf("  lost: %s, sent %s, answered %s", opName(o), o.start.Format("15:04:05.000"), o.end.Format("15:04:05.000"))
		}
	}
}

func opName(o op) string {
	if o.create {
		return "create " + o.key.CFID
	}
	return "increment of " + o.field + " in " + o.key.CFID
}

// A planned failover of the Sentinel set under load. With
// min_replicas_acked=1 no acknowledged write is lost: a write that only the
// old master took is not acknowledged, and is sent again until the new
// master has it. Without it, writes the old master acknowledged after the
// promotion are lost when it becomes a replica; how many depends on timing,
// so they are counted, not asserted.
func TestSentinelPlannedFailover(t *testing.T) {
	sentinels, master := conntest.RedisSentinel(t)
	for _, tc := range []struct {
		acked  string
		strict bool
	}{
		{"1", true},
		{"0", false},
	} {
		t.Run("min_replicas_acked="+tc.acked, func(t *testing.T) {
			sentinelFailover(t, sentinels, master, tc.acked, tc.strict)
		})
	}
}

func sentinelFailover(t *testing.T, sentinels []string, master, acked string, strict bool) {
	ctx := context.Background()
	goredisLog := clientLog(t)
	before := waitSentinelSettled(t, sentinels, master, 60*time.Second)
	if before == "" {
		t.FailNow()
	}
	prefix := randomPrefix()
	t.Cleanup(func() {
		if err := deleteSentinelKeys(sentinels, master, prefix); err != nil {
			t.Errorf("delete the keys under %s: %v", prefix, err)
		}
	})
	// Whatever ends the test, the next one starts from a settled set.
	t.Cleanup(func() { waitSentinelSettled(t, sentinels, master, 60*time.Second) })
	s := MustOpen(t, map[string]string{
		"host": strings.Join(sentinels, ","), "mode": "sentinel", "master": master,
		"prefix": prefix, "min_replicas_acked": acked,
	})
	e, set, logs := failoverEngine(s, true)
	sessions := createSessions(t, e, set, "shop", 30)

	l := startLoad(e, set, "shop", sessions, 8, 5, 40*time.Second)
	time.Sleep(2 * time.Second)
	failoverAt := time.Now()
	var err error
	for i := 0; i < 60; i++ {
		sc := sentinelClient(sentinels[0])
		err = sc.Failover(ctx, master).Err()
		sc.Close()
		if err == nil || !(strings.Contains(err.Error(), "INPROG") || strings.Contains(err.Error(), "NOGOODSLAVE")) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		l.finish()
		t.Fatalf("SENTINEL FAILOVER %s: %v", master, err)
	}

	var switchedAt time.Time
	var after string
	for i := 0; i < 1000 && time.Since(failoverAt) < promotionWithin; i++ {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		a, err := sentinelMaster(pctx, sentinels[0], master)
		cancel()
		if err == nil && a != before {
			switchedAt, after = time.Now(), a
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if switchedAt.IsZero() {
		l.finish()
		t.Fatalf("the sentinels still name %s %v after SENTINEL FAILOVER", before, promotionWithin)
	}
	// The new master has served once a request sent after the switch is
	// answered without error; then the load goes on for a few seconds.
	var servedAt time.Time
	for i := 0; i < 2000 && time.Since(switchedAt) < 40*time.Second; i++ {
		if l.okStartedAfter(switchedAt) {
			servedAt = time.Now()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !servedAt.IsZero() {
		time.Sleep(3 * time.Second)
	}
	ops := l.finish()
	if servedAt.IsZero() {
		t.Errorf("no request sent after the switch to %s was answered without error within 40s", after)
	}
	// Once settled, the old master is a replica of the new one: what only
	// it had is gone, and the reads below see what survived.
	if waitSentinelSettled(t, sentinels, master, 60*time.Second) == "" {
		t.FailNow()
	}

	since := func(at time.Time) string {
		if at.IsZero() {
			return "never"
		}
		return at.Sub(switchedAt).Round(10 * time.Millisecond).String()
	}
	r := judge(t, s, ops)
	t.Logf("failover %s → %s: the sentinels named the new master %v after SENTINEL FAILOVER; first request sent after that answered without error %s after it",
		before, after, switchedAt.Sub(failoverAt).Round(10*time.Millisecond), since(servedAt))
	t.Logf("load: %d increments (%d answered without error, %d answered 503 not applied, %d unknown outcome, %d of those stored); %d creates (%d answered without error, %d failed)",
		r.incrs, r.acked, r.failed, r.unknown, r.unknownStored, r.creates, r.createsAcked, r.createsFailed)
	t.Logf("errors: first %s, last %s relative to the switch", since(r.firstErr), since(r.lastErr))
	var took []time.Duration
	for _, o := range ops {
		took = append(took, o.end.Sub(o.start))
	}
	p50, p99, top := percentiles(took)
	t.Logf("latency: p50 %v, p99 %v, max %v", p50, p99, top)
	t.Logf("LOST with min_replicas_acked=%s: %d of %d acknowledged increments, %d of %d acknowledged creates",
		acked, r.ackedLost, r.acked, r.createsLost, r.createsAcked)
	if len(r.lost) > 0 {
		first, last := r.lost[0].end, r.lost[0].end
		for _, o := range r.lost {
			if o.end.Before(first) {
				first = o.end
			}
			if o.end.After(last) {
				last = o.end
			}
		}
		t.Logf("the lost writes were answered from %s to %s relative to the switch", since(first), since(last))
		t.Logf("acknowledged / lost writes by when they were answered, relative to the switch:\n%s", timeline(ops, r.lost, switchedAt))
	}
	r.logCauses(t)
	t.Logf("engine and store log:\n%s", logs)
	t.Logf("go-redis log:\n%s", goredisLog)

	if !strict {
		// Losses are what this setting trades for availability: report them.
		r.ackedLost, r.createsLost, r.lost = 0, 0, nil
	}
	checkTally(t, r)
}

// timeline counts the writes answered without error, and the lost ones
// among them, per half second around at.
func timeline(ops, lost []op, at time.Time) string {
	const step = 500 * time.Millisecond
	slot := func(o op) int {
		d := o.end.Sub(at)
		n := int(d / step)
		if d < 0 && d%step != 0 {
			n--
		}
		return n
	}
	acked, missing := map[int]int{}, map[int]int{}
	lo, hi := 0, 0
	for _, o := range ops {
		if o.err == nil {
			n := slot(o)
			acked[n]++
			lo, hi = min(lo, n), max(hi, n)
		}
	}
	for _, o := range lost {
		missing[slot(o)]++
	}
	var b strings.Builder
	for n := lo; n <= hi; n++ {
		if missing[n] == 0 && (n < -2 || n > 2) {
			continue
		}
		fmt.Fprintf(&b, "  %+6.1fs  %5d acknowledged  %5d lost\n", (time.Duration(n) * step).Seconds(), acked[n], missing[n])
	}
	return b.String()
}
