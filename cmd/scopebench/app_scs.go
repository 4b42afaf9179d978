package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/v2"
	goredis "github.com/redis/go-redis/v9"
)

// scsPrefix is the key prefix, under the run's, of app-scs's sessions.
const scsPrefix = "scs:"

// newSCSApp is app-scs: GET /hit on alexedwards/scs's LoadAndSave with
// goredisstore on the run's Redis (go-redis v9, its default pool), as its
// documentation sets it up. A hit is a GET of the session (Find), then a
// SET with expiry of the whole session (Commit) before the answer.
func newSCSApp(redisURL, prefix string) (http.Handler, func() error, error) {
	if prefix == "" {
		return nil, nil, errors.New("-prefix is required: every key must be under the run's prefix")
	}
	opts, err := goredis.ParseURL(redisURL)
	if err != nil {
		return nil, nil, err
	}
	var cnt appCounters
	rdb := goredis.NewClient(opts)
	rdb.AddHook(countingHook{&cnt.calls})
	sm := scs.New()
	sm.Store = goredisstore.NewWithPrefix(rdb, prefix+scsPrefix)
	sm.Lifetime = bareTimeout
	mux := http.NewServeMux()
	mux.Handle("GET /hit", sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := sm.GetInt(r.Context(), "n") + 1
		sm.Put(r.Context(), "n", n)
		cnt.hits.Add(1)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, strconv.Itoa(n))
	})))
	mux.HandleFunc("GET /stats", cnt.serveStats)
	return mux, rdb.Close, nil
}

// countingHook counts a go-redis client's round trips: each command, and
// each pipeline as one.
type countingHook struct{ n *atomic.Int64 }

func (h countingHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h countingHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h countingHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// scsN reads a session's n from goredisstore's key: scs's gob encoding of
// its deadline and values.
func (b *bench) scsN(rdb *goredis.Client) func(context.Context, string) (int64, error) {
	return func(ctx context.Context, token string) (int64, error) {
		raw, err := rdb.Get(ctx, b.prefix+scsPrefix+token).Bytes()
		if err != nil {
			return 0, err
		}
		_, values, err := scs.GobCodec{}.Decode(raw)
		if err != nil {
			return 0, err
		}
		n, ok := values["n"].(int)
		if !ok {
			return 0, fmt.Errorf("the session holds n = %#v, not an int", values["n"])
		}
		return int64(n), nil
	}
}
