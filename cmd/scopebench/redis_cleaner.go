package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/connections/redis"
	"github.com/scopestore/scopestore/scopes"
)

// idlePasses is how many cleaner passes idleRedisCleaner counts; it keeps
// the least count.
const idlePasses = 3

// idleRedisCleaner measures, for context, what one pass of scopestore's
// Redis cleaner costs when nothing has expired: the cost every instance
// pays every --cleaner-interval whatever the load. It opens the store of the
// bench's standalone Redis connection (same URL, same prefix) in this
// process, with the scenarios' scopes live, and calls DeleteExpired once per
// pass. The store keeps its client to itself, so the commands are counted
// by the server: INFO commandstats before and after the pass. The Redis may
// be shared, and other clients' commands can only add to a count, so the
// least of idlePasses passes is kept. It returns the note for the report.
func (b *bench) idleRedisCleaner(ctx context.Context) string {
	const label = "idle Redis cleaner"
	b.progress("measuring the %s", label)
	note, err := b.countIdleCleaner(ctx)
	if err != nil {
		b.progress("  %s: %v", label, err)
		return fmt.Sprintf("%s: **error**: %v", label, err)
	}
	b.progress("  %s", note)
	return label + ": " + note
}

func (b *bench) countIdleCleaner(ctx context.Context) (string, error) {
	st, err := redis.Open(ctx, scopes.Connection{Name: redisConn, Type: "redis", Storage: true,
		Params: map[string]string{"url": b.cfg.RedisURL, "prefix": b.prefix}})
	if err != nil {
		return "", err
	}
	defer st.Close()
	// Both clients connect before the first count, so that no handshake
	// (HELLO, CLIENT SETINFO) is counted.
	if err := st.Ping(ctx); err != nil {
		return "", err
	}
	client := goredis.NewClient(b.redisOpts)
	defer client.Close()
	pairs, err := client.SMembers(ctx, b.prefix+"indexes").Result()
	if err != nil {
		return "", fmt.Errorf("read the registry of (app, kind) pairs: %w", err)
	}
	var live int64
	for _, pair := range pairs {
		app, kind, _ := strings.Cut(pair, ":")
		n, _, err := st.Count(ctx, app, scopes.Kind(kind), time.Now())
		if err != nil {
			return "", err
		}
		live += n
	}

	var least map[string]int64
	leastTotal := int64(-1)
	for range idlePasses {
		before, err := commandCalls(ctx, client)
		if err != nil {
			return "", err
		}
		ended, err := st.DeleteExpired(ctx, time.Now(), 1000)
		if err != nil {
			return "", err
		}
		if len(ended) > 0 {
			return "", fmt.Errorf("DeleteExpired ended %d scopes: the pass was not idle", len(ended))
		}
		after, err := commandCalls(ctx, client)
		if err != nil {
			return "", err
		}
		delta, total := map[string]int64{}, int64(0)
		for name, n := range after {
			if d := n - before[name]; d > 0 && name != "info" {
				delta[name] = d
				total += d
			}
		}
		if leastTotal < 0 || total < leastTotal {
			least, leastTotal = delta, total
		}
	}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(least)) {
		parts = append(parts, fmt.Sprintf("%s %d", strings.ToUpper(name), least[name]))
	}
	return fmt.Sprintf("%d commands per pass for %d (app, kind) pairs and %d live scopes (%s; DeleteExpired(now, 1000) on the store of connection %s, counted by INFO commandstats, the least of %d passes)",
		leastTotal, len(pairs), live, strings.Join(parts, ", "), redisConn, idlePasses), nil
}

// commandCalls returns the calls of each command that Redis has counted
// (INFO commandstats: cmdstat_get:calls=12,usec=…).
func commandCalls(ctx context.Context, client *goredis.Client) (map[string]int64, error) {
	info, err := client.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, fmt.Errorf("INFO commandstats: %w", err)
	}
	calls := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, stats, ok := strings.Cut(strings.TrimSpace(line), ":")
		name, found := strings.CutPrefix(name, "cmdstat_")
		if !ok || !found {
			continue
		}
		for _, field := range strings.Split(stats, ",") {
			if v, ok := strings.CutPrefix(field, "calls="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					calls[name] = n
				}
			}
		}
	}
	return calls, nil
}
