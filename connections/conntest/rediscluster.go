package conntest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
)

// The variables that name the Redis Cluster and Sentinel that
// .ci/redis-topology.sh runs; only the master name has a default, since no
// standard port would find the topologies.
const (
	// EnvRedisCluster is a comma-separated list of the cluster's host:port nodes.
	EnvRedisCluster = "SCOPESTORE_TEST_REDIS_CLUSTER"
	// EnvRedisSentinel is a comma-separated list of the sentinels' host:port addresses.
	EnvRedisSentinel = "SCOPESTORE_TEST_REDIS_SENTINEL"
	// EnvRedisSentinelMaster is the master name the sentinels monitor.
	EnvRedisSentinelMaster = "SCOPESTORE_TEST_REDIS_SENTINEL_MASTER"

	// DefaultRedisSentinelMaster is the master name .ci/redis-topology.sh uses.
	DefaultRedisSentinelMaster = "scopestore-master"
)

// topologyHint tells how to get the topologies, in place of a variable name in
// unreachable's message: a bare variable name would not say what to set it to.
const topologyHint = "to what bash .ci/redis-topology.sh start prints"

// RedisClusterAddrs returns the nodes of the test Redis Cluster,
// SCOPESTORE_TEST_REDIS_CLUSTER, after checking that one of them answers as a
// cluster node; the cluster client finds the rest of the topology from any node.
func RedisClusterAddrs(tb testing.TB) []string {
	tb.Helper()
	addrs := redisAddrList(tb, "Redis Cluster", EnvRedisCluster)
	c := pingAny(tb, "Redis Cluster", EnvRedisCluster, addrs)
	defer c.Close()
	// Not cluster_state:ok: another test may be failing a master over just
	// now, and the cluster client rides that out; a standalone server is a
	// mistake in the variable, better named here than as MOVED errors later.
	if _, err := c.do("CLUSTER", "INFO"); err != nil {
		tb.Fatalf("conntest: %s: %s is not a cluster node: CLUSTER INFO: %v", EnvRedisCluster, c.RemoteAddr(), err)
	}
	return addrs
}

// RedisSentinel returns the test sentinels, SCOPESTORE_TEST_REDIS_SENTINEL,
// and the master name they monitor, SCOPESTORE_TEST_REDIS_SENTINEL_MASTER
// (default scopestore-master), after checking that a sentinel answers and
// names a master by that name, so that a wrong name fails here, clearly.
func RedisSentinel(tb testing.TB) (sentinels []string, master string) {
	tb.Helper()
	sentinels = redisAddrList(tb, "Redis Sentinel", EnvRedisSentinel)
	master = env(EnvRedisSentinelMaster, DefaultRedisSentinelMaster)
	c := pingAny(tb, "Redis Sentinel", EnvRedisSentinel, sentinels)
	defer c.Close()
	reply, err := c.do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", master)
	if err != nil {
		tb.Fatalf("conntest: sentinel at %s: SENTINEL GET-MASTER-ADDR-BY-NAME %s: %v", c.RemoteAddr(), master, err)
	}
	if addr, ok := reply.([]any); !ok || len(addr) != 2 {
		tb.Fatalf("conntest: sentinel at %s does not monitor a master named %q (set %s): it answered %v",
			c.RemoteAddr(), master, EnvRedisSentinelMaster, reply)
	}
	return sentinels, master
}

// redisAddrList reads a comma-separated list of host:port addresses from the
// variable. Unset is treated as unreachable, since these topologies run only
// where someone started them.
func redisAddrList(tb testing.TB, what, variable string) []string {
	tb.Helper()
	raw := os.Getenv(variable)
	if strings.TrimSpace(raw) == "" {
		unreachable(tb, what, variable+" "+topologyHint, "(no address)", fmt.Errorf("%s is not set", variable))
	}
	var addrs []string
	for _, a := range strings.Split(raw, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			tb.Fatalf("conntest: %s=%q: %q is not host:port: %v", variable, raw, a, err)
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		tb.Fatalf("conntest: %s=%q names no host:port", variable, raw)
	}
	return addrs
}

// pingAny returns a connection to the first address that answers PING. When
// none can be dialled the test is skipped or failed as unreachable; a node
// that answers wrongly fails it, since that is a broken setup, not a missing one.
func pingAny(tb testing.TB, what, variable string, addrs []string) *redisConn {
	tb.Helper()
	var dialErr, otherErr error
	for _, addr := range addrs {
		c, err := newRedisConn(&url.URL{Scheme: "redis", Host: addr})
		if err == nil {
			return c
		}
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			dialErr = errors.Join(dialErr, err)
		} else {
			otherErr = errors.Join(otherErr, fmt.Errorf("%s: %w", addr, err))
		}
	}
	if otherErr != nil {
		tb.Fatalf("conntest: %s: %v", what, otherErr)
	}
	unreachable(tb, what, variable+" "+topologyHint, strings.Join(addrs, ","), dialErr)
	return nil // not reached: unreachable ends the test
}
