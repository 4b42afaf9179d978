package main

// The app scenarios (issue 10): one small web app, whose GET /hit loads the
// visitor's session, does n = n + 1 and saves it, measured on scopestore
// and on the session library it replaces, both on the same Redis:
//
//	app-go       Go, web/client's middleware, scopestore (Redis, cluster = true)
//	app-scs      the same app on alexedwards/scs with goredisstore
//	app-express  express-session with connect-scopestore, scopestore as above
//	app-connect-redis  the same app with connect-redis
//
// Every app runs as a child process on its own loopback port: the Go apps
// are scopebench again (-serve app-go, -serve app-scs, app_go.go and
// app_scs.go), the express app is node apps/express/app.js (app_express.go).
// The load generator keeps -sessions visitors, each with its own cookies,
// spread over the -clients connections: each connection sends its visitors'
// hits in turn, one at a time, so that a visitor's hits never overlap and
// each answer must be the visitor's count of acknowledged hits plus one.
// After the run, appVerifySample sessions are read back from the store
// itself, and their n must be their acknowledged hits.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// The app scenarios and their baselines.
const (
	appGo           = "app-go"
	appSCS          = "app-scs"
	appExpress      = "app-express"
	appConnectRedis = "app-connect-redis"
)

// scenarioAliases lets -only name a baseline: it runs its pair.
var scenarioAliases = map[string]string{appSCS: appGo, appConnectRedis: appExpress}

// appVerifySample is how many sessions of each app are read back from the
// store after the run.
const appVerifySample = 50

// The environment of the app-go child: where scopestore listens and the
// bench app's key (kept off the command line).
const (
	envAppUpstream = "SCOPEBENCH_SCOPESTORE_URL"
	envAppKey      = "SCOPEBENCH_APP_KEY"
)

// fasterAndTighter is the target of app-go: at least x times the baseline's
// throughput, and a p99 no higher than the baseline's.
func fasterAndTighter(x float64) func(Result) bool {
	return func(r Result) bool { return r.Ratio >= x && r.P99ms <= r.BaselineP99ms }
}

// isGoApp says whether -serve names one of the Go apps.
func isGoApp(name string) bool { return name == appGo || name == appSCS }

// serveApp runs the Go app cfg.Serve on cfg.Addr until ctx ends.
func serveApp(ctx context.Context, cfg config, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	var h http.Handler
	var closeFn func() error
	var err error
	switch cfg.Serve {
	case appSCS:
		h, closeFn, err = newSCSApp(cfg.RedisURL, cfg.Prefix)
	case appGo:
		h, closeFn, err = newGoApp(os.Getenv(envAppUpstream), os.Getenv(envAppKey))
	default:
		return fmt.Errorf("unknown app %q: use %s or %s", cfg.Serve, appGo, appSCS)
	}
	if err != nil {
		return err
	}
	defer func() { _ = closeFn() }()
	return serveHandler(ctx, cfg.Addr, cfg.Serve, h, logger)
}

// appCounters are what every app counts and answers on GET /stats: the
// hits it served and the calls it made to its session backend (Redis
// commands, or HTTP requests to scopestore), so that the report can say how
// many round trips a hit costs.
type appCounters struct {
	hits, calls atomic.Int64
}

// appStats is the answer of an app's GET /stats.
type appStats struct {
	Hits  int64 `json:"hits"`
	Calls int64 `json:"calls"`
}

func (c *appCounters) serveStats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(appStats{Hits: c.hits.Load(), Calls: c.calls.Load()})
}

// visitor is one browser of the load generator: its cookies and the hits
// the app acknowledged.
type visitor struct {
	cookies []*http.Cookie
	header  string // the Cookie header of cookies
	hits    int64
}

// appWorker is a connection's share of the visitors, sent hits in turn.
type appWorker struct {
	visitors []*visitor
	next     int
}

// appSide is one app of a pair, as the load generator and the report see it.
type appSide struct {
	name string
	// start runs the app and returns it once it listens.
	start func(ctx context.Context) (*child, error)
	// cookie names the cookie that holds the session's id; sessionID takes
	// the id the store knows out of its value.
	cookie    string
	sessionID func(value string) (string, error)
	// stored reads a session's n from the store itself, not through the app.
	stored func(ctx context.Context, id string) (int64, error)
	// calls says what the app calls per hit, for the report.
	calls string

	c       *child
	workers []*appWorker // by worker id
	acct    appAccount
}

// appAccount sums what the rounds of one side cost (warm-ups included):
// hits and backend calls as the app counted them, CPU ticks per process,
// and the Redis server's commands by name.
type appAccount struct {
	hits, calls int64
	ticks       []int64 // by index of the side's processes
	redisCmds   map[string]int64
	// errs are why a part could not be measured; that part is left out.
	statsErr, cpuErr, redisErr error
}

// appProc is a process whose CPU time the report splits per hit.
type appProc struct {
	label string
	pid   func() int
}

// userHZ is the unit of utime and stime in /proc/<pid>/stat: USER_HZ, 100
// on every Linux architecture Go runs on.
const userHZ = 100

// parseStatTicks returns utime + stime of a /proc/<pid>/stat line.
func parseStatTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("no command name in /proc/<pid>/stat")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/<pid>/stat has %d fields after the command name, want at least 13", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/<pid>/stat: %w", err)
	}
	return utime + stime, nil
}

// procTicks returns the CPU time a process used so far, in USER_HZ ticks.
func procTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatTicks(string(b))
}

// redisCommands returns the Redis server's count of calls of each command
// (INFO commandstats: the commands that scripts run are counted too).
func redisCommands(ctx context.Context, rdb *goredis.Client) (map[string]int64, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	return parseCommandStats(info), nil
}

// parseCommandStats reads the calls of each command of INFO commandstats:
// cmdstat_get:calls=12,usec=30,… gives get: 12.
func parseCommandStats(info string) map[string]int64 {
	calls := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		name, isCmd := strings.CutPrefix(name, "cmdstat_")
		if !ok || !isCmd {
			continue
		}
		for _, field := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(field, "calls="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					calls[name] = n
				}
			}
		}
	}
	return calls
}

// commandsPerHit describes the commands Redis ran per hit, most first:
// "7.00 (evalsha 1.00, get 1.00, …)". INFO, which the accounting sends, is
// left out.
func commandsPerHit(cmds map[string]int64, hits int64) string {
	type nc struct {
		name string
		n    int64
	}
	var list []nc
	var sum int64
	for name, n := range cmds {
		if name == "info" || n <= 0 {
			continue
		}
		list = append(list, nc{name, n})
		sum += n
	}
	slices.SortFunc(list, func(a, b nc) int {
		if a.n != b.n {
			return cmp.Compare(b.n, a.n)
		}
		return strings.Compare(a.name, b.name)
	})
	parts := make([]string, len(list))
	for i, c := range list {
		parts[i] = fmt.Sprintf("%s %.2f", c.name, float64(c.n)/float64(hits))
	}
	return fmt.Sprintf("%.2f (%s)", float64(sum)/float64(hits), strings.Join(parts, ", "))
}

// redisPID returns the pid of the Redis server when it runs on this
// machine's process table (not in a container of its own), else 0.
func redisPID(ctx context.Context, rdb *goredis.Client) int {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(infoField(info, "process_id")))
	if err != nil {
		return 0
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || !strings.HasPrefix(string(comm), "redis") {
		return 0
	}
	return pid
}

// around is the side's loadSpec.around: it accounts the round's hits,
// backend calls, CPU and Redis commands to the side.
func (s *appSide) around(ctx context.Context, procs []appProc, rdb *goredis.Client) func() func() {
	return func() func() {
		st0, statsErr := s.stats(ctx)
		ticks0 := make([]int64, len(procs))
		var cpuErr error
		for i, p := range procs {
			t, err := procTicks(p.pid())
			ticks0[i], cpuErr = t, errors.Join(cpuErr, err)
		}
		cmds0, redisErr := redisCommands(ctx, rdb)
		return func() {
			a := &s.acct
			if a.ticks == nil {
				a.ticks, a.redisCmds = make([]int64, len(procs)), map[string]int64{}
			}
			st, err := s.stats(ctx)
			a.hits += st.Hits - st0.Hits
			a.calls += st.Calls - st0.Calls
			a.statsErr = errors.Join(a.statsErr, statsErr, err)
			for i, p := range procs {
				t, err := procTicks(p.pid())
				a.ticks[i] += t - ticks0[i]
				cpuErr = errors.Join(cpuErr, err)
			}
			a.cpuErr = errors.Join(a.cpuErr, cpuErr)
			cmds, err := redisCommands(ctx, rdb)
			for name, n := range cmds {
				a.redisCmds[name] += n - cmds0[name]
			}
			a.redisErr = errors.Join(a.redisErr, redisErr, err)
		}
	}
}

// mergeCookies applies a response's Set-Cookie headers to jar: a cookie
// replaces the one of its name, one that expires deletes it.
func mergeCookies(jar, set []*http.Cookie) []*http.Cookie {
	for _, ck := range set {
		kept := jar[:0:0]
		for _, old := range jar {
			if old.Name != ck.Name {
				kept = append(kept, old)
			}
		}
		jar = kept
		expired := ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now()))
		if !expired {
			jar = append(jar, &http.Cookie{Name: ck.Name, Value: ck.Value})
		}
	}
	return jar
}

// cookieHeader is the Cookie header that sends jar.
func cookieHeader(jar []*http.Cookie) string {
	parts := make([]string, len(jar))
	for i, ck := range jar {
		parts[i] = ck.Name + "=" + ck.Value
	}
	return strings.Join(parts, "; ")
}

// cookieValue returns the value of the cookie name in jar, "" if none.
func cookieValue(jar []*http.Cookie, name string) string {
	for _, ck := range jar {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// hit sends one GET /hit as v and checks its answer: the session's new n,
// which must be v's acknowledged hits plus one.
func (s *appSide) hit(ctx context.Context, w *worker, v *visitor) error {
	req, err := http.NewRequestWithContext(ctx, "GET", s.c.addr+"/hit", nil)
	if err != nil {
		return err
	}
	if v.header != "" {
		req.Header.Set("Cookie", v.header)
	}
	res, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1024))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: GET /hit: status %d: %.300s", s.name, res.StatusCode, strings.TrimSpace(string(body)))
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(body)), 10, 64)
	if err != nil {
		return fmt.Errorf("%s: GET /hit answered %.100q, not a number", s.name, body)
	}
	if n != v.hits+1 {
		return fmt.Errorf("%s: GET /hit answered n = %d after %d acknowledged hits of this visitor: a lost or doubled update", s.name, n, v.hits)
	}
	if set := res.Cookies(); len(set) > 0 {
		v.cookies = mergeCookies(v.cookies, set)
		v.header = cookieHeader(v.cookies)
	}
	if cookieValue(v.cookies, s.cookie) == "" {
		return fmt.Errorf("%s: the visitor has no %s cookie after a hit", s.name, s.cookie)
	}
	v.hits++
	return nil
}

// spec is the side's measurement: each worker creates its visitors'
// sessions with a first hit, then sends its visitors' hits in turn.
func (s *appSide) spec(b *bench, around func() func()) loadSpec {
	s.workers = make([]*appWorker, b.cfg.Clients)
	setup := func(ctx context.Context, w *worker) error {
		aw := &appWorker{}
		for i := w.id; i < b.cfg.Sessions; i += b.cfg.Clients {
			v := &visitor{}
			if err := s.hit(ctx, w, v); err != nil {
				return err
			}
			aw.visitors = append(aw.visitors, v)
		}
		s.workers[w.id] = aw
		return nil
	}
	op := func(ctx context.Context, w *worker) error {
		aw := s.workers[w.id]
		v := aw.visitors[aw.next%len(aw.visitors)]
		aw.next++
		return s.hit(ctx, w, v)
	}
	spec := b.spec(s.name, setup, op)
	spec.around = around
	return spec
}

// verify reads a random sample of the side's sessions from the store and
// checks that each holds n = its acknowledged hits.
func (s *appSide) verify(ctx context.Context, sample int) error {
	var all []*visitor
	for _, aw := range s.workers {
		if aw != nil {
			all = append(all, aw.visitors...)
		}
	}
	if len(all) == 0 {
		return fmt.Errorf("%s: no visitor to verify", s.name)
	}
	var wrong []string
	checked := 0
	for _, i := range rand.Perm(len(all))[:min(sample, len(all))] {
		v := all[i]
		id, err := s.sessionID(cookieValue(v.cookies, s.cookie))
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		n, err := s.stored(ctx, id)
		if err != nil {
			return fmt.Errorf("%s: read session %s back from the store: %w", s.name, id, err)
		}
		checked++
		if n != v.hits {
			wrong = append(wrong, fmt.Sprintf("session %s holds n = %d after %d acknowledged hits", id, n, v.hits))
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("%s: %d of %d sessions read back hold another n than their acknowledged hits; %s",
			s.name, len(wrong), checked, strings.Join(wrong[:min(len(wrong), 3)], "; "))
	}
	return nil
}

// stats asks the app for its counters.
func (s *appSide) stats(ctx context.Context) (appStats, error) {
	var st appStats
	w := newWorker(0)
	defer w.close()
	body, err := w.do(ctx, "GET", s.c.addr+"/stats", "", nil, 200, true)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("%s: GET /stats: %w", s.name, err)
	}
	return st, nil
}

// appVersus measures the app side name against the app side baseName, in
// turns, on the run's Redis, with scopestore's bench app on Redis with
// cluster = true; checks both sides' sessions in their stores; and
// explains per hit where the time went.
func (b *bench) appVersus(ctx context.Context, name, baseName string) (Result, error) {
	res := Result{Baseline: baseName}
	if err := b.useSettings(ctx, redisConn, true); err != nil {
		return res, err
	}
	rdb := goredis.NewClient(b.redisOpts)
	defer rdb.Close()
	a, err := b.appSideNamed(name, rdb)
	if err != nil {
		return res, err
	}
	base, err := b.appSideNamed(baseName, rdb)
	if err != nil {
		return res, err
	}
	for _, s := range []*appSide{a, base} {
		b.progress("  starting %s", s.name)
		if s.c, err = s.start(ctx); err != nil {
			return res, fmt.Errorf("start %s: %w", s.name, err)
		}
		defer s.c.Stop()
	}
	rpid := redisPID(ctx, rdb)
	procs := func(s *appSide) []appProc {
		ps := []appProc{{"app", func() int { return s.c.cmd.Process.Pid }}, {"scopestore", func() int { return b.server.cmd.Process.Pid }}}
		if rpid != 0 {
			ps = append(ps, appProc{"Redis", func() int { return rpid }})
		}
		return append(ps, appProc{"load generator", os.Getpid})
	}
	pa, pb := procs(a), procs(base)
	sa, sb, err := b.pair(ctx, a.spec(b, a.around(ctx, pa, rdb)), base.spec(b, base.around(ctx, pb, rdb)))
	if err != nil {
		return res, err
	}
	var parts []string
	for _, side := range []struct {
		s     *appSide
		procs []appProc
	}{{a, pa}, {base, pb}} {
		s := side.s
		if err := s.verify(ctx, appVerifySample); err != nil {
			return res, err
		}
		parts = append(parts, s.perHit(side.procs))
	}
	r := throughput(sa, sb, baseName)
	r.note = fmt.Sprintf("the apps run as child processes (%s), each on a loopback port of its own; the app, scopestore, Redis and the load generator "+
		"(%d connections, %d visitors each with its own cookies) share the machine's %d CPUs. Per hit, in the rounds: %s. "+
		"After the run, %d sessions of each app read back from the store held n = the visitor's acknowledged hits, and every answer was the visitor's count + 1",
		appProcessModel(name), b.cfg.Clients, b.cfg.Sessions, numCPU(), strings.Join(parts, "; "), appVerifySample)
	b.progress("  %s", r.note)
	return r, nil
}

// perHit describes what a hit of s cost in the rounds: calls to its
// backend, Redis commands, and each process's CPU time.
func (s *appSide) perHit(procs []appProc) string {
	a := s.acct
	if a.statsErr != nil || a.hits <= 0 {
		return fmt.Sprintf("%s: not measured (%v)", s.name, a.statsErr)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %.2f calls from the app (%s)", s.name, float64(a.calls)/float64(a.hits), s.calls)
	if a.redisErr == nil {
		fmt.Fprintf(&b, ", Redis commands %s", commandsPerHit(a.redisCmds, a.hits))
	}
	if a.cpuErr == nil && len(a.ticks) == len(procs) {
		var cpu []string
		var sum int64
		for i, p := range procs {
			sum += a.ticks[i]
			cpu = append(cpu, fmt.Sprintf("%s %.0f", p.label, ticksPerHit(a.ticks[i], a.hits)))
		}
		fmt.Fprintf(&b, ", CPU µs: %s (%.0f in all)", strings.Join(cpu, ", "), ticksPerHit(sum, a.hits))
	}
	return b.String()
}

// ticksPerHit converts ticks of CPU over hits into µs per hit.
func ticksPerHit(ticks, hits int64) float64 {
	if hits <= 0 {
		return 0
	}
	return float64(ticks) * (1e6 / userHZ) / float64(hits)
}

// appProcessModel says how a pair's apps run, for the note.
func appProcessModel(name string) string {
	if name == appExpress {
		return "node apps/express/app.js, one process each"
	}
	return "scopebench -serve app-go and -serve app-scs"
}

// appSideNamed returns the app side name, not started yet.
func (b *bench) appSideNamed(name string, rdb *goredis.Client) (*appSide, error) {
	switch name {
	case appGo:
		return &appSide{name: name, cookie: "CFID", sessionID: plainID, stored: b.scopestoreN,
			calls: "one PATCH to scopestore (the Incr, whose answer is the session)",
			start: func(ctx context.Context) (*child, error) {
				return b.startGoApp(ctx, appGo, envAppUpstream+"="+b.server.addr, envAppKey+"="+b.key)
			}}, nil
	case appSCS:
		return &appSide{name: name, cookie: "session", sessionID: plainID, stored: b.scsN(rdb),
			calls: "GET + SET on Redis",
			start: func(ctx context.Context) (*child, error) { return b.startGoApp(ctx, appSCS) }}, nil
	case appExpress:
		return &appSide{name: name, cookie: expressCookie, sessionID: expressSessionID, stored: b.scopestoreN,
			calls: "GET + PATCH to scopestore",
			start: func(ctx context.Context) (*child, error) { return b.startExpress(ctx, name, "connect-scopestore") }}, nil
	case appConnectRedis:
		return &appSide{name: name, cookie: expressCookie, sessionID: expressSessionID, stored: b.connectRedisN(rdb),
			calls: "GET + SET on Redis",
			start: func(ctx context.Context) (*child, error) { return b.startExpress(ctx, name, "connect-redis") }}, nil
	}
	return nil, fmt.Errorf("no app %q", name)
}

// plainID is the session id of a cookie that holds nothing else.
func plainID(value string) (string, error) {
	if value == "" {
		return "", errors.New("no session cookie")
	}
	return value, nil
}

// startGoApp runs this program again as the Go app name.
func (b *bench) startGoApp(ctx context.Context, name string, env ...string) (*child, error) {
	args := []string{"-serve", name, "-addr", "127.0.0.1:0", "-redis", b.cfg.RedisURL, "-prefix", b.prefix}
	c, err := startChild(ctx, name, b.self, args, childEnv(env...), filepath.Join(b.tmp, name+".log"))
	if err != nil {
		return nil, err
	}
	b.onCleanup(func(context.Context) error { c.Stop(); return nil })
	return c, nil
}

// scopestoreN reads a session's n through scopestore's API.
func (b *bench) scopestoreN(ctx context.Context, id string) (int64, error) {
	w := newWorker(0)
	defer w.close()
	body, err := w.do(ctx, "GET", b.server.addr+sessionsPath+"/"+id, b.key, nil, 200, true)
	if err != nil {
		return 0, err
	}
	var v struct {
		Data struct {
			N json.Number `json:"n"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return 0, err
	}
	return v.Data.N.Int64()
}

// connectRedisN reads a session's n from connect-redis's key: the session
// as JSON.
func (b *bench) connectRedisN(rdb *goredis.Client) func(context.Context, string) (int64, error) {
	return func(ctx context.Context, id string) (int64, error) {
		raw, err := rdb.Get(ctx, b.prefix+connectRedisPrefix+id).Bytes()
		if err != nil {
			return 0, err
		}
		var v struct {
			N json.Number `json:"n"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return 0, err
		}
		return v.N.Int64()
	}
}
