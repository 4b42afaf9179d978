package redis

import (
	"context"
	"errors"

	goredis "github.com/redis/go-redis/v9"
)

// Every script touches the keys of one bucket, which share a hash tag (see
// the package doc), so that it runs on one node in Cluster mode too;
// goredis.Script sends EVALSHA and falls back to EVAL when the server has
// not cached it. Each reads the first "expires": and "rev": of a value:
// EncodeRecord writes only numbers and quoted strings whose quotes are
// escaped before the data, so those matches are the envelope's.

// writeScript is Store.Write in one round trip: the compare-and-set, the
// value with its expiry, both indexes (the lex index only for a new key:
// the cleaner removes a key and its entries together), and the write's
// marker, by which a
// write sent again is recognised. It returns {1} when the write is applied,
// now or by an earlier call with the same rev; {0} when the expectation is
// not met and no live scope is stored; {0, value} when the live value is
// not the one expected.
//
// KEYS: scope, lex index, expiry index, marker. ARGV: expect ("" absent,
// "*" any, or a rev), value, PXAT, cfid, expires (ms), now (ms), marker TTL
// (ms), the value's rev, and the channel and message that announce the
// write ("" for none; see announce.go).
var writeScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[4]) == 1 then return {1} end
local cur = redis.call('GET', KEYS[1])
local live = false
if cur then
  local e = string.match(cur, '"expires":(%-?%d+)')
  live = e ~= nil and tonumber(e) > tonumber(ARGV[6])
end
local expect = ARGV[1]
if expect ~= '*' then
  if live then
    local rev = string.match(cur, '^{"v":%d+,"rev":"([^"]*)"')
    if not rev then rev = 'legacy-' .. (string.match(cur, '"version":(%-?%d+)') or '0') end
    if rev == ARGV[8] then return {1} end
    if rev ~= expect then return {0, cur} end
  elseif expect ~= '' then
    return {0}
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
if not cur then redis.call('ZADD', KEYS[2], 0, ARGV[4]) end
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
redis.call('SET', KEYS[4], '1', 'PX', ARGV[7])
if ARGV[9] ~= '' then redis.call('PUBLISH', ARGV[9], ARGV[10]) end
return {1}
`)

// changeScript changes a stored scope in place (scopes.Changer): a visit
// (lastvisit, expires, a hit) and, when ARGV[2] is not empty, new data and
// one more version. It reads the envelope's header as EncodeRecord writes
// it; a value in another form answers {2} and is left to a read and a
// write. It returns {1, value} when the change is applied (now, or by an
// earlier call with the same rev: the value is then the stored one),
// {0} when no live scope is stored, {3, value} when ARGV[3] names another
// version than the stored one.
//
// KEYS: scope, lex index, expiry index, marker. ARGV: rev, data or "",
// if-version ("0" for none), hit ("1" or "0"), lastvisit (ms), expires (ms),
// PXAT, now (ms), marker TTL (ms), cfid.
var changeScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[4]) == 1 then return {1, redis.call('GET', KEYS[1])} end
local cur = redis.call('GET', KEYS[1])
if not cur then return {0} end
local rev, cftoken, tc, lv, hc, ex, ver, data = string.match(cur,
  '^{"v":1,"rev":"([^"]*)","cftoken":("[^"\\]*"),"timecreated":(%-?%d+),"lastvisit":(%-?%d+),"hitcount":(%-?%d+),"expires":(%-?%d+),"version":(%-?%d+),"data":(.*)}$')
if not rev then return {2} end
if tonumber(ex) <= tonumber(ARGV[8]) then return {0} end
if ARGV[3] ~= '0' and ver ~= ARGV[3] then return {3, cur} end
if ARGV[2] ~= '' then
  data = ARGV[2]
  ver = string.format('%d', tonumber(ver) + 1)
end
if ARGV[4] == '1' then hc = string.format('%d', tonumber(hc) + 1) end
local v = '{"v":1,"rev":"' .. ARGV[1] .. '","cftoken":' .. cftoken .. ',"timecreated":' .. tc ..
  ',"lastvisit":' .. ARGV[5] .. ',"hitcount":' .. hc .. ',"expires":' .. ARGV[6] ..
  ',"version":' .. ver .. ',"data":' .. data .. '}'
redis.call('SET', KEYS[1], v, 'PXAT', ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[10])
redis.call('SET', KEYS[4], '1', 'PX', ARGV[9])
return {1, v}
`)

// deleteScript deletes a scope and its index entries and returns {1} when
// there was a value, {0} otherwise. ARGV: cfid, and the channel and message
// that announce the delete ("" for none). KEYS: scope, lex index, expiry index. ARGV: cfid.
var deleteScript = goredis.NewScript(`
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if n == 1 and ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return {n}
`)

// expireScript ends a scope that the expiry index lists as expired at
// ARGV[1]: it deletes the value if its envelope says it expired (a value
// saved again meanwhile has a later expiry, which goes back into the index),
// drops both index entries, and returns 1 when this call removed the
// expiry index entry, so that when two instances clean at once the scope is
// reported once. A value not in scopestore's format is left alone, out of
// the expiry index. KEYS: scope, lex index, expiry index. ARGV: now (ms),
// cfid.
var expireScript = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  local e = string.match(v, '"expires":(%-?%d+)')
  if e == nil then
    redis.call('ZREM', KEYS[3], ARGV[2])
    return 0
  end
  if tonumber(e) > tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[3], e, ARGV[2])
    return 0
  end
  redis.call('DEL', KEYS[1])
end
redis.call('ZREM', KEYS[2], ARGV[2])
return redis.call('ZREM', KEYS[3], ARGV[2])
`)

// evalEach runs script once per set of keys, all in one pipeline, and
// returns the commands in order. A server that lacks the script
// (restarted, SCRIPT FLUSH, a new Cluster node) gets it with SCRIPT LOAD,
// which a ClusterClient sends to every shard, and the commands it refused
// run again, once; those that ran keep their results, which matter:
// expireScript reports a scope only from the call that removed it.
func evalEach(ctx context.Context, c goredis.UniversalClient, script *goredis.Script, keys [][]string, args [][]any) ([]*goredis.Cmd, error) {
	cmds := make([]*goredis.Cmd, len(keys))
	todo := make([]int, len(keys))
	for i := range todo {
		todo[i] = i
	}
	for attempt := 0; ; attempt++ {
		pipe := c.Pipeline()
		for _, i := range todo {
			cmds[i] = script.EvalSha(ctx, pipe, keys[i], args[i]...)
		}
		_, err := pipe.Exec(ctx)
		if err == nil || attempt > 0 || !anyNoScript(cmds) {
			return cmds, err
		}
		if err := script.Load(ctx, c).Err(); err != nil {
			return nil, err
		}
		todo = todo[:0]
		for i, cmd := range cmds {
			if isNoScript(cmd.Err()) {
				todo = append(todo, i)
			}
		}
	}
}

func anyNoScript(cmds []*goredis.Cmd) bool {
	for _, cmd := range cmds {
		if isNoScript(cmd.Err()) {
			return true
		}
	}
	return false
}

// isNoScript tells whether err is Redis's answer for a script it lacks.
func isNoScript(err error) bool {
	return err != nil && (errors.Is(err, goredis.ErrNoScript) || goredis.HasErrorPrefix(err, "NOSCRIPT"))
}
