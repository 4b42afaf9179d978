package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// noCluster says why redis-cluster-3 cannot run and how to make it run.
const noCluster = "no Redis Cluster given: set -redis-cluster or $" + envRedisCluster +
	" to its nodes (host:port,host:port,…; loopback only) to run it"

// setupRedisCluster checks that the Redis Cluster of -redis-cluster answers
// and registers the deletion of the run's keys on each of its masters.
func (b *bench) setupRedisCluster(ctx context.Context) error {
	addrs, err := clusterAddrs(b.cfg.RedisCluster)
	if err != nil {
		return err
	}
	b.clusterAddrs = addrs
	client := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs})
	defer client.Close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	state, err := client.ClusterInfo(pctx).Result()
	if err != nil {
		return fmt.Errorf("the Redis Cluster at %s does not answer (start it, or leave out redis-cluster-3 with -only): %w", b.cfg.RedisCluster, err)
	}
	if v := infoField(state, "cluster_state"); v != "ok" {
		return fmt.Errorf("the Redis Cluster at %s: cluster_state is %s, not ok", b.cfg.RedisCluster, v)
	}
	var masters atomic.Int32
	var version atomic.Value
	err = client.ForEachMaster(pctx, func(ctx context.Context, node *goredis.Client) error {
		info, err := node.Info(ctx, "server").Result()
		if err != nil {
			return err
		}
		masters.Add(1)
		version.Store(infoField(info, "redis_version"))
		return nil
	})
	if err != nil {
		return fmt.Errorf("the Redis Cluster at %s: %w", b.cfg.RedisCluster, err)
	}
	b.clusterVersion, _ = version.Load().(string)
	b.clusterMasters = int(masters.Load())
	b.onCleanup(b.deleteClusterKeys)
	return nil
}

// deleteClusterKeys deletes every key under the run's prefix on each master
// of the Cluster, with SCAN: a master's keys are of many slots, so each key
// is unlinked by a command of its own, in one pipeline per batch.
func (b *bench) deleteClusterKeys(ctx context.Context) error {
	client := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: b.clusterAddrs})
	defer client.Close()
	var deleted atomic.Int64
	err := client.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
		var cursor uint64
		for {
			keys, next, err := node.Scan(ctx, cursor, b.prefix+"*", 1000).Result()
			if err != nil {
				return fmt.Errorf("%s: %w", node.Options().Addr, err)
			}
			if len(keys) > 0 {
				pipe := node.Pipeline()
				for _, k := range keys {
					pipe.Unlink(ctx, k)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					return fmt.Errorf("%s: %w", node.Options().Addr, err)
				}
				deleted.Add(int64(len(keys)))
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	})
	if err != nil {
		return fmt.Errorf("delete Redis Cluster keys %s*: %w", b.prefix, err)
	}
	b.progress("deleted %d Redis Cluster keys under %s", deleted.Load(), b.prefix)
	return nil
}

// clusterDescription is the Cluster's part of the machine line.
func (b *bench) clusterDescription() string {
	return fmt.Sprintf("Redis Cluster %s (%d masters)", b.clusterVersion, b.clusterMasters)
}
