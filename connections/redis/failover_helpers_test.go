package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/scopestore/scopestore/scopes"
)

// The failover tests run the engine over one Redis store, as one scopestore
// instance does, under a steady load of PATCH increments (and creates), while
// the topology that .ci/redis-topology.sh runs loses a master. Each request
// increments a key of its own, so that reading every scope at the end tells
// exactly which acknowledged increments were stored, and how often.

// storageName is the name of the store in the engine's settings.
const storageName = "redis"

// oneStorage is the engine's Storages over one store.
type oneStorage struct{ store scopes.Store }

func (o oneStorage) Store(_ context.Context, name string) (scopes.Store, error) {
	if name != storageName {
		return nil, scopes.Errorf(scopes.EInvalidSettings, "unknown storage %q", name)
	}
	return o.store, nil
}

func (o oneStorage) Names(context.Context, scopes.Kind) ([]string, error) {
	return []string{storageName}, nil
}

func (o oneStorage) Open() map[string]scopes.Store {
	return map[string]scopes.Store{storageName: o.store}
}

// logCounter is a slog handler that counts records by message and shows
// none: the engine logs every write it sends again, thousands in a failover.
type logCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func newLogCounter() *logCounter { return &logCounter{counts: map[string]int{}} }

func (h *logCounter) Enabled(context.Context, slog.Level) bool { return true }

func (h *logCounter) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.counts[r.Message]++
	h.mu.Unlock()
	return nil
}

func (h *logCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCounter) WithGroup(string) slog.Handler      { return h }

func (h *logCounter) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var lines []string
	for m, n := range h.counts {
		lines = append(lines, fmt.Sprintf("%6d × %s", n, m))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// failoverEngine returns an engine over s whose logs, and the store's, are
// counted rather than shown, and settings that keep sessions in s.
func failoverEngine(s *Store, cluster bool) (*scopes.Engine, scopes.Settings, *logCounter) {
	logs := newLogCounter()
	s.log = slog.New(logs)
	e := scopes.NewEngine(oneStorage{s})
	e.Logger = slog.New(logs)
	v := "false"
	if cluster {
		v = "true"
	}
	set := scopes.Resolve(scopes.Layer{
		scopes.SessionStorage: {Value: storageName, By: scopes.FromAdmin},
		scopes.SessionCluster: {Value: v, By: scopes.FromAdmin},
	}, nil).Settings
	return e, set, logs
}

// createSessions creates n sessions of app before any failure.
func createSessions(t *testing.T, e *scopes.Engine, set scopes.Settings, app string, n int) []scopes.Key {
	t.Helper()
	keys := make([]scopes.Key, 0, n)
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		sc, err := e.Create(ctx, set, app, scopes.Session, nil)
		cancel()
		if err != nil {
			t.Fatalf("create a session before the failover: %v", err)
		}
		keys = append(keys, scopes.Key{App: app, Kind: scopes.Session, CFID: sc.CFID})
	}
	return keys
}

// op is one request of the load and how it was answered.
type op struct {
	create bool
	// key is the session incremented, or the one created.
	key scopes.Key
	// field is the data key incremented, or the create's marker.
	field      string
	start, end time.Time
	err        error
}

// unknown tells whether the error says that the write may have been applied.
func (o op) unknown() bool {
	return o.err != nil && strings.Contains(scopes.ErrorMessage(o.err), "may or may not have been applied")
}

// load runs workers that PATCH an increment of a key of their own into a
// random session, one request after another, and every createEvery-th
// request (0: never) create a session instead.
type load struct {
	e           *scopes.Engine
	set         scopes.Settings
	app         string
	sessions    []scopes.Key
	createEvery int
	timeout     time.Duration

	stop atomic.Bool
	wg   sync.WaitGroup
	ops  [][]op
	// lastOKStart is the latest start (UnixNano) of a request answered
	// without error.
	lastOKStart atomic.Int64
}

// Bounds of a load, whatever the test forgets: no loop runs unbounded.
const (
	maxLoadOps  = 200_000
	maxLoadTime = 90 * time.Second
)

func startLoad(e *scopes.Engine, set scopes.Settings, app string, sessions []scopes.Key, workers, createEvery int, timeout time.Duration) *load {
	l := &load{e: e, set: set, app: app, sessions: sessions, createEvery: createEvery, timeout: timeout, ops: make([][]op, workers)}
	for w := range workers {
		l.wg.Add(1)
		go l.work(w)
	}
	return l
}

func (l *load) work(w int) {
	defer l.wg.Done()
	deadline := time.Now().Add(maxLoadTime)
	for seq := 0; seq < maxLoadOps && !l.stop.Load() && time.Now().Before(deadline); seq++ {
		o := op{field: fmt.Sprintf("c%d_%d", w, seq), start: time.Now()}
		ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
		if l.createEvery > 0 && seq%l.createEvery == l.createEvery-1 {
			o.create = true
			var sc *scopes.Scope
			sc, o.err = l.e.Create(ctx, l.set, l.app, scopes.Session, json.RawMessage(`{"by":"`+o.field+`"}`))
			if o.err == nil {
				o.key = scopes.Key{App: l.app, Kind: scopes.Session, CFID: sc.CFID}
			}
		} else {
			o.key = l.sessions[mathrand.IntN(len(l.sessions))]
			_, o.err = l.e.Patch(ctx, l.set, o.key, scopes.Patch{Incr: map[string]json.Number{o.field: "1"}}, 0)
		}
		cancel()
		o.end = time.Now()
		if o.err == nil {
			for {
				prev := l.lastOKStart.Load()
				if o.start.UnixNano() <= prev || l.lastOKStart.CompareAndSwap(prev, o.start.UnixNano()) {
					break
				}
			}
		}
		l.ops[w] = append(l.ops[w], o)
	}
}

// okStartedAfter tells whether a request that started after t was answered
// without error.
func (l *load) okStartedAfter(t time.Time) bool { return l.lastOKStart.Load() > t.UnixNano() }

// finish stops the workers, waits for their last requests and returns every
// request, in no particular order.
func (l *load) finish() []op {
	l.stop.Store(true)
	l.wg.Wait()
	var all []op
	for _, ops := range l.ops {
		all = append(all, ops...)
	}
	return all
}

// tally is what became of a load's requests, judged on the stored scopes.
type tally struct {
	incrs, creates int
	// Answered without error: stored once as they must be, missing (lost),
	// or applied more than once.
	acked, ackedLost, ackedTwice int
	createsAcked, createsLost    int
	// Answered 503 with a known outcome (not applied): stored anyway.
	failed, failedStored int
	// Answered 503 saying the outcome is unknown, and what it turned out to be.
	unknown, unknownStored int
	createsFailed          int
	// other are errors that are not 503.
	other []op
	// firstErr and lastErr are when the first and last error were answered.
	firstErr, lastErr time.Time
	// causes counts the errors by text.
	causes map[string]int
	// lost lists a few acknowledged writes that are missing.
	lost []op
}

// judge reads every scope the load touched from s and tells what became of
// each request.
func judge(t *testing.T, s *Store, ops []op) tally {
	t.Helper()
	data := map[scopes.Key]map[string]json.RawMessage{}
	found := map[scopes.Key]bool{}
	read := func(key scopes.Key) {
		if _, ok := found[key]; ok {
			return
		}
		var err error
		for attempt := 0; attempt < 50; attempt++ {
			var rec scopes.Record
			var ok bool
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			rec, ok, err = s.Load(ctx, key, time.Now())
			cancel()
			if err == nil {
				found[key] = ok
				if ok {
					m := map[string]json.RawMessage{}
					if err := json.Unmarshal(rec.Data, &m); err != nil {
						t.Fatalf("scope %s: data %s: %v", key.CFID, rec.Data, err)
					}
					data[key] = m
				}
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("read scope %s at the end: %v", key.CFID, err)
	}

	r := tally{causes: map[string]int{}}
	for _, o := range ops {
		if o.err != nil {
			if r.firstErr.IsZero() || o.end.Before(r.firstErr) {
				r.firstErr = o.end
			}
			if o.end.After(r.lastErr) {
				r.lastErr = o.end
			}
			r.causes[o.err.Error()]++
			if code := scopes.ErrorCode(o.err); code != scopes.EUnavailable {
				r.other = append(r.other, o)
				continue
			}
		}
		if o.create {
			r.creates++
			if o.err != nil {
				// A failed create names no cfid: nothing to look up.
				r.createsFailed++
				continue
			}
			r.createsAcked++
			read(o.key)
			if !found[o.key] {
				r.createsLost++
				r.lost = append(r.lost, o)
			}
			continue
		}
		r.incrs++
		read(o.key)
		v, stored := data[o.key][o.field]
		switch {
		case o.err == nil:
			r.acked++
			if !stored {
				r.ackedLost++
				r.lost = append(r.lost, o)
			} else if string(v) != "1" {
				r.ackedTwice++
			}
		case o.unknown():
			r.unknown++
			if stored {
				r.unknownStored++
			}
		default:
			r.failed++
			if stored {
				r.failedStored++
			}
		}
	}
	return r
}

// logCauses logs the errors by how often they happened, most often first.
func (r tally) logCauses(t *testing.T) {
	t.Helper()
	type cause struct {
		text string
		n    int
	}
	var cs []cause
	for text, n := range r.causes {
		cs = append(cs, cause{text, n})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].n > cs[j].n })
	for i, c := range cs {
		if i == 10 {
			t.Logf("  … and %d other error texts", len(cs)-i)
			break
		}
		t.Logf("  %5d × %s", c.n, c.text)
	}
}

// clientLog counts go-redis's own log lines (a dead node makes its pool log
// every failed dial) by text, and shows none, until the test ends.
func clientLog(tb testing.TB) *logCounter {
	h := newLogCounter()
	goredis.SetLogger(h)
	tb.Cleanup(logging.Enable)
	return h
}

// Printf makes a logCounter go-redis's logger.
func (h *logCounter) Printf(_ context.Context, format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	h.mu.Lock()
	h.counts[msg]++
	h.mu.Unlock()
}

// percentiles returns the 50th, 99th and 100th percentiles of ds.
func percentiles(ds []time.Duration) (p50, p99, top time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	at := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return at(0.5).Round(time.Millisecond), at(0.99).Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond)
}

// nodeClient returns a client of one Redis node for the tests' own
// commands: short timeouts and no retries, so that a dead node answers
// quickly.
func nodeClient(addr string) *goredis.Client {
	return goredis.NewClient(&goredis.Options{
		Addr: addr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
		MaxRetries: -1, DialerRetries: 1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

// nodeDo runs one command on the node at addr.
func nodeDo(ctx context.Context, addr string, args ...any) (any, error) {
	c := nodeClient(addr)
	defer c.Close()
	return c.Do(ctx, args...).Result()
}

// infoField returns the value of "name:value" in the INFO section of the
// node at addr.
func infoField(ctx context.Context, addr, section, name string) (string, error) {
	c := nodeClient(addr)
	defer c.Close()
	return infoFieldOf(ctx, c, section, name)
}

// role returns the first word of ROLE: master, slave or sentinel.
func role(ctx context.Context, addr string) (string, error) {
	reply, err := nodeDo(ctx, addr, "ROLE")
	if err != nil {
		return "", err
	}
	items, ok := reply.([]any)
	if !ok || len(items) == 0 {
		return "", fmt.Errorf("ROLE of %s answered %v", addr, reply)
	}
	r, _ := items[0].(string)
	return r, nil
}

// clusterState returns cluster_state from CLUSTER INFO of the node at addr.
func clusterState(ctx context.Context, addr string) (string, error) {
	c := nodeClient(addr)
	defer c.Close()
	info, err := c.ClusterInfo(ctx).Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster_state:"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("CLUSTER INFO of %s has no cluster_state", addr)
}

// clusterNode is a master of the test cluster, as known before it is killed.
type clusterNode struct {
	addr, id string
	pid      int
	// replica is the address of its replica.
	replica string
	// restart is the redis-server command line that starts it again as
	// .ci/redis-topology.sh did: redis-server rewrites its process title, so
	// the command line is rebuilt from CONFIG GET.
	restart []string
}

// describeMaster reads what killing and restarting the master at addr needs.
func describeMaster(ctx context.Context, addr string) (clusterNode, error) {
	n := clusterNode{addr: addr}
	c := nodeClient(addr)
	defer c.Close()
	pid, err := infoFieldOf(ctx, c, "server", "process_id")
	if err != nil {
		return n, err
	}
	if n.pid, err = strconv.Atoi(pid); err != nil {
		return n, fmt.Errorf("process_id %q: %w", pid, err)
	}
	nodes, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return n, err
	}
	type line struct{ id, addr, flags, master string }
	var lines []line
	for _, l := range strings.Split(nodes, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		a, _, _ := strings.Cut(f[1], "@")
		lines = append(lines, line{f[0], a, f[2], f[3]})
	}
	for _, l := range lines {
		if strings.Contains(l.flags, "myself") {
			n.id = l.id
		}
	}
	for _, l := range lines {
		if n.id != "" && l.master == n.id && strings.Contains(l.flags, "slave") && !strings.Contains(l.flags, "fail") {
			n.replica = l.addr
		}
	}
	if n.id == "" || n.replica == "" {
		return n, fmt.Errorf("CLUSTER NODES of %s names no replica of it:\n%s", addr, nodes)
	}
	cfg := map[string]string{}
	for _, name := range []string{"port", "bind", "dir", "logfile", "pidfile", "cluster-config-file", "cluster-node-timeout", "cluster-replica-validity-factor", "save", "appendonly"} {
		m, err := c.ConfigGet(ctx, name).Result()
		if err != nil {
			return n, err
		}
		v, ok := m[name]
		if !ok {
			return n, fmt.Errorf("CONFIG GET %s of %s: no value", name, addr)
		}
		cfg[name] = v
	}
	n.restart = append([]string{"redis-server", "--port", cfg["port"], "--bind"}, strings.Fields(cfg["bind"])...)
	n.restart = append(n.restart, "--daemonize", "yes", "--dir", cfg["dir"], "--logfile", cfg["logfile"], "--pidfile", cfg["pidfile"],
		"--save", cfg["save"], "--appendonly", cfg["appendonly"],
		"--cluster-enabled", "yes", "--cluster-config-file", cfg["cluster-config-file"],
		"--cluster-node-timeout", cfg["cluster-node-timeout"], "--cluster-replica-validity-factor", cfg["cluster-replica-validity-factor"])
	return n, nil
}

func infoFieldOf(ctx context.Context, c *goredis.Client, section, name string) (string, error) {
	info, err := c.Info(ctx, section).Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("INFO %s has no %s", section, name)
}

// kill sends SIGKILL to the node's process, after checking that the pid is
// a Redis server's.
func (n clusterNode) kill() error {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", n.pid))
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(comm), "redis-") {
		return fmt.Errorf("pid %d is %q, not a Redis server", n.pid, strings.TrimSpace(string(comm)))
	}
	return syscall.Kill(n.pid, syscall.SIGKILL)
}

// start starts the node again with its command line; its nodes-<port>.conf
// makes it rejoin the cluster, where its promoted replica makes it a replica.
func (n clusterNode) start() error {
	cmd := exec.Command(n.restart[0], n.restart[1:]...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(n.restart, " "), err, out)
	}
	return nil
}

// topologyScript is .ci/redis-topology.sh, from this package's directory.
func topologyScript(tb testing.TB) string {
	tb.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", ".ci", "redis-topology.sh"))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("the topology script: %v", err)
	}
	return p
}

// topologyHealthy runs the script's status, which exits 0 when the cluster
// and the sentinel set are both in their original shape.
func topologyHealthy(script string) (bool, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", script, "status").CombinedOutput()
	return err == nil, string(out)
}

// restoreTopology waits up to within for the topology to be healthy again,
// and otherwise has the script rebuild it.
func restoreTopology(tb testing.TB, within time.Duration) {
	tb.Helper()
	script := topologyScript(tb)
	start := time.Now()
	var out string
	for i := 0; i < 600 && time.Since(start) < within; i++ {
		var ok bool
		if ok, out = topologyHealthy(script); ok {
			tb.Logf("topology healthy again %v after the restore began", time.Since(start).Round(100*time.Millisecond))
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	tb.Logf("topology not healthy %v after the restore began; rebuilding it with the script's start:\n%s", within, out)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, "bash", script, "start").CombinedOutput(); err != nil {
		tb.Errorf("bash %s start: %v\n%s", script, err, b)
	}
}

// randomPrefix returns a key prefix that no other run uses.
func randomPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "scopestore_t_" + hex.EncodeToString(b[:]) + ":"
}

// sentinelClient returns a client of one sentinel with short timeouts.
func sentinelClient(addr string) *goredis.SentinelClient {
	return goredis.NewSentinelClient(&goredis.Options{
		Addr: addr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
		MaxRetries: -1, DialerRetries: 1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

// sentinelMaster returns the master address the sentinel at addr names.
func sentinelMaster(ctx context.Context, addr, master string) (string, error) {
	c := sentinelClient(addr)
	defer c.Close()
	hp, err := c.GetMasterAddrByName(ctx, master).Result()
	if err != nil {
		return "", err
	}
	if len(hp) != 2 {
		return "", fmt.Errorf("sentinel %s: master %s at %v", addr, master, hp)
	}
	return hp[0] + ":" + hp[1], nil
}

// sentinelSettled checks that the sentinels agree on the master, that none
// is failing over, that each knows a replica that is fine (so that the next
// SENTINEL FAILOVER has one to promote), and that the replica's link to the
// master is up. It returns the master's address, or why it is not settled.
func sentinelSettled(ctx context.Context, sentinels []string, master string) (string, error) {
	var addr string
	for _, sa := range sentinels {
		c := sentinelClient(sa)
		m, err := sentinelMaster(ctx, sa, master)
		if err != nil {
			c.Close()
			return "", err
		}
		if addr == "" {
			addr = m
		} else if m != addr {
			c.Close()
			return "", fmt.Errorf("sentinel %s names master %s, another names %s", sa, m, addr)
		}
		q, err := c.CkQuorum(ctx, master).Result()
		if err != nil || !strings.HasPrefix(q, "OK") {
			c.Close()
			return "", fmt.Errorf("sentinel %s: CKQUORUM %q %w", sa, q, err)
		}
		info, err := c.Master(ctx, master).Result()
		if err != nil || info["flags"] != "master" {
			c.Close()
			return "", fmt.Errorf("sentinel %s: master flags %q %w", sa, info["flags"], err)
		}
		replicas, err := c.Replicas(ctx, master).Result()
		c.Close()
		if err != nil {
			return "", err
		}
		good := false
		for _, r := range replicas {
			if r["flags"] == "slave" && r["master-link-status"] == "ok" && r["ip"]+":"+r["port"] != addr {
				good = true
			}
		}
		if !good {
			return "", fmt.Errorf("sentinel %s knows no replica in good health: %v", sa, replicas)
		}
	}
	if r, err := role(ctx, addr); err != nil || r != "master" {
		return "", fmt.Errorf("the master %s has role %q (%w)", addr, r, err)
	}
	if n, err := infoField(ctx, addr, "replication", "connected_slaves"); err != nil || n == "0" {
		return "", fmt.Errorf("the master %s has %q connected replicas (%w)", addr, n, err)
	}
	return addr, nil
}

// waitSentinelSettled waits, at most within, for sentinelSettled.
func waitSentinelSettled(tb testing.TB, sentinels []string, master string, within time.Duration) string {
	tb.Helper()
	start := time.Now()
	var err error
	for i := 0; i < 1000 && time.Since(start) < within; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var addr string
		addr, err = sentinelSettled(ctx, sentinels, master)
		cancel()
		if err == nil {
			return addr
		}
		time.Sleep(250 * time.Millisecond)
	}
	tb.Errorf("the sentinel set did not settle within %v: %v", within, err)
	return ""
}

// deleteSentinelKeys deletes the keys under prefix on the master that the
// sentinels name, with SCAN and DEL.
func deleteSentinelKeys(sentinels []string, master, prefix string) error {
	c := goredis.NewFailoverClient(&goredis.FailoverOptions{
		MasterName: master, SentinelAddrs: sentinels,
		DialTimeout: 2 * time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second,
	})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var batch []string
	del := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := c.Del(ctx, batch...).Err()
		batch = batch[:0]
		return err
	}
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for n := 0; n < 10_000_000 && iter.Next(ctx); n++ {
		if batch = append(batch, iter.Val()); len(batch) == 500 {
			if err := del(); err != nil {
				return err
			}
		}
	}
	return errors.Join(iter.Err(), del())
}
