package redis

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/scopes/storetest"
)

// open opens a store over a connection with params; the caller closes it.
func open(tb testing.TB, params map[string]string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), scopes.Connection{Name: "test", Kind: "cache", Type: "redis", Storage: true, Params: params})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

// MustOpen opens a store over a connection with params and closes it when
// the test ends.
func MustOpen(tb testing.TB, params map[string]string) *Store {
	tb.Helper()
	s := open(tb, params)
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// realParams returns the params of a connection to the test Redis under a
// prefix of its own, whose keys are deleted when the test ends.
func realParams(tb testing.TB) map[string]string {
	tb.Helper()
	return map[string]string{"url": conntest.RedisURL(tb), "prefix": conntest.RedisPrefix(tb)}
}

// miniParams returns the params of a connection to a new miniredis, which
// stops when the test ends.
func miniParams(tb testing.TB, mode string) (map[string]string, *miniredis.Miniredis) {
	tb.Helper()
	m := miniredis.RunT(tb)
	return map[string]string{"host": m.Host(), "port": m.Port(), "mode": mode}, m
}

// clusterParams returns the params of a connection to the Redis Cluster
// named by SCOPESTORE_TEST_REDIS_CLUSTER under a prefix of its own, whose
// keys are deleted when the test ends; it skips the test when unset.
func clusterParams(tb testing.TB) map[string]string {
	tb.Helper()
	hosts := strings.Join(conntest.RedisClusterAddrs(tb), ",")
	prefix := conntest.RedisPrefix(tb) // a fresh name; its cleanup on the standalone server is harmless
	params := map[string]string{"host": hosts, "mode": "cluster", "prefix": prefix}
	tb.Cleanup(func() {
		s := open(tb, params)
		defer s.Close()
		cc := s.client.(*goredis.ClusterClient)
		err := cc.ForEachMaster(context.Background(), func(ctx context.Context, c *goredis.Client) error {
			iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				if err := c.Del(ctx, iter.Val()).Err(); err != nil {
					return err
				}
			}
			return iter.Err()
		})
		if err != nil {
			tb.Errorf("delete the cluster's keys under %s: %v", prefix, err)
		}
	})
	return params
}

// backends lists the servers that the tests which hold for any Redis run on.
var backends = []struct {
	name   string
	params func(tb testing.TB) map[string]string
}{
	{"redis", realParams},
	{"miniredis", func(tb testing.TB) map[string]string { p, _ := miniParams(tb, ""); return p }},
	{"cluster", clusterParams},
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) scopes.Store { return open(t, realParams(t)) })
}

// TestStoreMiniredis runs the suite fast, in process, besides TestStore.
func TestStoreMiniredis(t *testing.T) {
	for _, mode := range []string{"standalone", "cluster"} {
		t.Run(mode, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) scopes.Store {
				p, _ := miniParams(t, mode)
				return open(t, p)
			})
		})
	}
}

func TestStoreCluster(t *testing.T) {
	clusterParams(t) // skips the whole suite at once when there is no cluster
	storetest.Run(t, func(t *testing.T) scopes.Store { return open(t, clusterParams(t)) })
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) scopes.Store { return open(b, realParams(b)) })
}

// recorder is a client hook that records the name of every command sent.
type recorder struct {
	mu    sync.Mutex
	names map[string]int
}

func record(s *Store) *recorder {
	r := &recorder{names: map[string]int{}}
	s.client.AddHook(r)
	if s.writer != s.client {
		s.writer.AddHook(r)
	}
	return r
}

func (r *recorder) add(cmds ...goredis.Cmder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cmds {
		r.names[strings.ToLower(c.Name())]++
	}
}

func (r *recorder) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.names[name]
}

// total returns how many commands were sent.
func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.names {
		n += c
	}
	return n
}

func (r *recorder) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (r *recorder) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		r.add(cmd)
		return next(ctx, cmd)
	}
}

func (r *recorder) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		r.add(cmds...)
		return next(ctx, cmds)
	}
}

// newRecord returns a record of app's kind scope for a new cfid, expiring
// in an hour.
func newRecord(app string, kind scopes.Kind, now time.Time, data string) scopes.Record {
	return scopes.Record{
		Key:     scopes.Key{App: app, Kind: kind, CFID: scopes.NewCFID()},
		CFToken: "0", TimeCreated: now, LastVisit: now,
		Expires: now.Add(time.Hour), Version: 1, Rev: scopes.NewRev(), Data: []byte(data),
	}
}

// save writes rec whatever is stored there, with a new rev.
func save(tb testing.TB, s *Store, rec scopes.Record) scopes.Record {
	tb.Helper()
	rec.Rev = scopes.NewRev()
	res, err := s.Write(context.Background(), rec, scopes.ExpectAny, rec.LastVisit)
	if err != nil || !res.Written {
		tb.Fatalf("Write %v = %+v, %v", rec.Key, res, err)
	}
	return res.Rec
}

// rawKey is the key of a scope as the layout names it, built by hand.
func rawKey(s *Store, key scopes.Key) string {
	return s.prefix + "{" + key.App + ":" + string(key.Kind) + ":" + key.CFID[:1] + "}s:" + key.CFID
}

// waitRegistered waits until the Store has added app's kind to the registry,
// which it does in the background, so that no SADD falls in what a test
// counts.
func waitRegistered(tb testing.TB, s *Store, app string, kind scopes.Kind) {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if v, ok := s.registered.Load(kindOf(app, kind)); ok && v.(*registration).done.Load() {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s %s not registered after 10s", app, kind)
		}
	}
}
