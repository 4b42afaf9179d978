package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"
)

// The lock-redis scenario: an uncontended lock and its release through the
// API, with the app's lockStorage on Redis, against a bare server that
// does what a hand-written Redis lock does: SET NX PX to take it, a Lua
// compare-and-delete to release it. Each client locks a name of its own.

// bareRedisLock names the bare-redis server's lock routes as a baseline.
const bareRedisLock = bareRedis + "-lock"

// locksPath is the bench app's lock routes.
const locksPath = "/api/v1/apps/" + benchApp + "/locks/"

var lockBody = []byte(`{"type":"exclusive","timeout":"0","lease":"30s"}`)

// lockOp takes the worker's own lock and releases it.
func (b *bench) lockOp(addr, key string) func(context.Context, *worker) error {
	return func(ctx context.Context, w *worker) error {
		url := addr + locksPath + "w" + strconv.Itoa(w.id)
		body, err := w.do(ctx, "POST", url, key, lockBody, http.StatusCreated, true)
		if err != nil {
			return err
		}
		var l struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(body, &l); err != nil || l.Token == "" {
			return fmt.Errorf("POST %s answered no token: %.200s", url, body)
		}
		return w.doHeader(ctx, "DELETE", url, key, "Lock-Token", l.Token, http.StatusNoContent)
	}
}

// doHeader sends a request without a body and with one more header, and
// checks its status.
func (w *worker) doHeader(ctx context.Context, method, url, key, header, value string, want int) error {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set(header, value)
	res, err := w.client.Do(req)
	if err != nil {
		return err
	}
	_ = res.Body.Close()
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d", method, url, res.StatusCode, want)
	}
	return nil
}

// lockRedis measures lockOp on scopestore with lockStorage on Redis in
// turns with the bare Redis lock, and divides the throughputs.
func (b *bench) lockRedis(ctx context.Context) (Result, error) {
	const bare = bareRedisLock
	res := Result{Baseline: bare}
	if _, err := b.cli(ctx, "app", "settings", benchApp, "--lock-storage", redisConn); err != nil {
		return res, err
	}
	// The server applies the setting within its --cache-ttl: wait for a
	// lock to be taken in Redis, where its fence key then stays.
	if err := b.waitLockStorage(ctx); err != nil {
		return res, err
	}
	c, err := b.startBare(ctx, bareRedis)
	if err != nil {
		return res, err
	}
	defer c.Stop()
	s, base, err := b.pair(ctx,
		b.spec("lock-redis", nil, b.lockOp(b.server.addr, b.key)),
		b.spec(bare+" (with lock-redis)", nil, b.lockOp(c.addr, "")))
	if err != nil {
		return res, err
	}
	r := throughput(s, base, bare)
	r.note = "an uncontended exclusive lock and its release per op, each client its own lock name; scopestore runs one script for each (2 round trips to Redis), the bare server SET NX PX and a Lua compare-and-delete"
	return r, nil
}

// waitLockStorage polls the bench app's settings until lockStorage is the
// Redis connection.
func (b *bench) waitLockStorage(ctx context.Context) error {
	w := newWorker(0)
	defer w.close()
	deadline := time.Now().Add(b.cfg.CacheTTL + 15*time.Second)
	for {
		body, err := w.do(ctx, "GET", b.server.addr+"/api/v1/apps/"+benchApp+"/settings", b.key, nil, 200, true)
		if err != nil {
			return err
		}
		var v struct {
			Settings struct {
				LockStorage string `json:"lockStorage"`
			} `json:"settings"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("GET settings: %w", err)
		}
		if v.Settings.LockStorage == redisConn {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server still shows lockStorage %q", v.Settings.LockStorage)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// bareLocker is a bare store that can hold a lock.
type bareLocker interface {
	// lock takes name for token for lease if it is free.
	lock(ctx context.Context, app, name, token string, lease time.Duration) (bool, error)
	// unlock releases name if token holds it.
	unlock(ctx context.Context, app, name, token string) (bool, error)
}

// bareUnlock is the usual Redis lock release: delete the key only if it
// still holds the caller's token.
var bareUnlock = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

func (s *redisBare) lock(ctx context.Context, app, name, token string, lease time.Duration) (bool, error) {
	return s.client.SetNX(ctx, s.prefix+"bare-lock:"+app+":"+name, token, lease).Result()
}

func (s *redisBare) unlock(ctx context.Context, app, name, token string) (bool, error) {
	n, err := bareUnlock.Run(ctx, s.client, []string{s.prefix + "bare-lock:" + app + ":" + name}, token).Int()
	return n == 1, err
}

// addLockRoutes adds the API's lock routes to a bare server whose store
// can lock: no auth, no validation, a fixed lease, no fence, no waiting.
func addLockRoutes(e *echo.Echo, st bareStore) {
	lk, ok := st.(bareLocker)
	if !ok {
		return
	}
	const locks = "/api/v1/apps/:app/locks/:name"
	e.POST(locks, func(c echo.Context) error {
		var b [16]byte
		_, _ = rand.Read(b[:])
		token := hex.EncodeToString(b[:])
		ok, err := lk.lock(c.Request().Context(), c.Param("app"), c.Param("name"), token, 30*time.Second)
		if err != nil {
			return err
		}
		if !ok {
			return c.NoContent(http.StatusLocked)
		}
		return c.Blob(http.StatusCreated, echo.MIMEApplicationJSON, []byte(`{"token":"`+token+`"}`))
	})
	e.DELETE(locks, func(c echo.Context) error {
		ok, err := lk.unlock(c.Request().Context(), c.Param("app"), c.Param("name"), c.Request().Header.Get("Lock-Token"))
		if err != nil {
			return err
		}
		if !ok {
			return c.NoContent(http.StatusConflict)
		}
		return c.NoContent(http.StatusNoContent)
	})
}
