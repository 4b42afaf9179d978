package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"

	goredis "github.com/redis/go-redis/v9"
)

// Every script touches one key, KEYS[1], so that it runs in Cluster mode
// too; goredis.Script sends EVALSHA and falls back to EVAL when the server
// has not cached it.

// setScript writes a value with its expiry, as SET … PXAT does, and returns
// 1 when it created the key, so that only creations cost an index write.
// Args: value, PXAT.
var setScript = goredis.NewScript(`
local created = redis.call('EXISTS', KEYS[1]) == 0
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
if created then return 1 end
return 0
`)

// casScript writes a value only if the key still holds what Update read:
// the SHA-1 hex digest of the value read, or "" for no value. It returns
// casConflict when another writer came first, casCreated when it created the
// key, casWritten otherwise. Args: expected digest, value, PXAT.
var casScript = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  if redis.sha1hex(cur) ~= ARGV[1] then return -1 end
elseif ARGV[1] ~= '' then
  return -1
end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
if cur then return 0 end
return 1
`)

// The results of casScript.
const (
	casConflict = -1
	casWritten  = 0
	casCreated  = 1
)

// expireScript deletes a scope whose envelope's expires (epoch
// milliseconds) is at or before ARGV[1]. It returns expireGone when there is
// no key, expireDeleted when it deleted it, and expireKept otherwise (a live
// scope, or a value not in scopestore's format, which is left alone). It
// reads the first "expires": of the envelope: EncodeRecord writes only
// numbers and one quoted string (whose quotes are escaped) before it, so that
// match is the envelope's and not the data's; the check and the delete are
// atomic, so a scope saved again meanwhile is never deleted.
var expireScript = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return -1 end
local e = string.match(v, '"expires":(%-?%d+)')
if e and tonumber(e) <= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)

// The results of expireScript.
const (
	expireGone    = -1
	expireKept    = 0
	expireDeleted = 1
)

// digest is the SHA-1 hex digest that casScript compares (redis.sha1hex).
// SHA-1 only tells two versions of one scope apart here; nothing relies on
// its resistance to chosen collisions.
func digest(value []byte) string {
	sum := sha1.Sum(value)
	return hex.EncodeToString(sum[:])
}

// evalEach runs script once per key, all in one pipeline, and returns the
// commands in the order of keys. A server that lacks the script (restarted,
// SCRIPT FLUSH, a new Cluster node) gets it with SCRIPT LOAD, which a
// ClusterClient sends to every shard, and the pipeline runs again once.
func evalEach(ctx context.Context, c goredis.UniversalClient, script *goredis.Script, keys []string, args ...any) ([]*goredis.Cmd, error) {
	for attempt := 0; ; attempt++ {
		pipe := c.Pipeline()
		cmds := make([]*goredis.Cmd, len(keys))
		for i, key := range keys {
			cmds[i] = script.EvalSha(ctx, pipe, []string{key}, args...)
		}
		_, err := pipe.Exec(ctx)
		if err == nil || attempt > 0 || !anyNoScript(cmds) {
			return cmds, err
		}
		if err := script.Load(ctx, c).Err(); err != nil {
			return nil, err
		}
	}
}

func anyNoScript(cmds []*goredis.Cmd) bool {
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil && (errors.Is(err, goredis.ErrNoScript) || goredis.HasErrorPrefix(err, "NOSCRIPT")) {
			return true
		}
	}
	return false
}
