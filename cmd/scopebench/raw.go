package main

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// The raw backend cycles, printed for context: what the backend alone does
// for one load and one save, in this process, with no HTTP at all.

// rawTable holds the raw MySQL cycle's rows: scopestore's layout.
const rawTable = `CREATE TABLE raw_session_data (
	expires VARCHAR(64) NOT NULL, cfid VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL, data LONGTEXT NOT NULL,
	PRIMARY KEY (cfid, name), INDEX raw_session_data_expires (expires)) ENGINE = InnoDB`

// rawRedis measures a go-redis GET and SET with expiry per cycle on the
// standalone Redis, with the go-redis default pool, as scopestore's Redis
// connections have.
func (b *bench) rawRedis(ctx context.Context) (*stats, error) {
	client := goredis.NewClient(b.redisOpts)
	defer client.Close()
	return b.rawRedisCycle(ctx, "raw-redis", client)
}

// rawRedisCluster measures the same cycle on the Redis Cluster, through
// go-redis's ClusterClient.
func (b *bench) rawRedisCluster(ctx context.Context) (*stats, error) {
	client := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: b.clusterAddrs})
	defer client.Close()
	return b.rawRedisCycle(ctx, "raw-redis-cluster", client)
}

// rawRedisCycle measures a GET and a SET with expiry per cycle on client.
func (b *bench) rawRedisCycle(ctx context.Context, name string, client goredis.Cmdable) (*stats, error) {
	setup := func(ctx context.Context, w *worker) error {
		for i := range scopesPerClient {
			k := fmt.Sprintf("%sraw:%d:%d", b.prefix, w.id, i)
			if err := client.Set(ctx, k, putBody(b.data, 0), bareTimeout).Err(); err != nil {
				return err
			}
			w.cfids = append(w.cfids, k)
		}
		return nil
	}
	op := func(ctx context.Context, w *worker) error {
		k := w.nextCFID()
		if err := client.Get(ctx, k).Err(); err != nil {
			return err
		}
		w.seq++
		return client.Set(ctx, k, putBody(b.data, w.seq), bareTimeout).Err()
	}
	return measure(ctx, b.spec(name, setup, op))
}

// rawMySQL measures a SELECT by primary key and an upsert per cycle, with a
// pool like scopestore's (20 connections, one round trip per statement).
func (b *bench) rawMySQL(ctx context.Context) (*stats, error) {
	cfg := b.mysqlCfg.Clone()
	cfg.DBName = b.baseDB
	db, err := openMySQL(cfg)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	const (
		get    = `SELECT expires, data FROM raw_session_data WHERE cfid = ? AND name = ?`
		upsert = `INSERT INTO raw_session_data (cfid, name, expires, data) VALUES (?, ?, ?, ?)
			ON DUPLICATE KEY UPDATE expires = VALUES(expires), data = VALUES(data)`
	)
	save := func(ctx context.Context, cfid string, seq uint64) error {
		_, err := db.ExecContext(ctx, upsert, cfid, benchApp, millis(time.Now().Add(bareTimeout)), string(putBody(b.data, seq)))
		return err
	}
	setup := func(ctx context.Context, w *worker) error {
		for range scopesPerClient {
			cfid := scopes.NewCFID()
			if err := save(ctx, cfid, 0); err != nil {
				return err
			}
			w.cfids = append(w.cfids, cfid)
		}
		return nil
	}
	op := func(ctx context.Context, w *worker) error {
		cfid := w.nextCFID()
		var expires string
		var data []byte
		if err := db.QueryRowContext(ctx, get, cfid, benchApp).Scan(&expires, &data); err != nil {
			return err
		}
		w.seq++
		return save(ctx, cfid, w.seq)
	}
	return measure(ctx, b.spec("raw-mysql", setup, op))
}
