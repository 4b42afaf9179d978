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
// (ms), the value's rev, and, for a write to announce, the channel, message
// and own channel that announce it (see announce.go). Every argument is a
// Lua string that Redis makes and collects again on each call: those that
// are not needed are left out.
var writeScript = goredis.NewScript(announceLua + `
-- The envelope's header is all the checks read: its first 256 bytes, about
-- 210 with a UUID for cftoken, rather than the whole value, which Lua would
-- copy and collect. A header longer than that (a long cftoken, a rotated
-- record, a legacy value) is read whole.
local cur = redis.call('GETRANGE', KEYS[1], 0, 255)
if cur == '' then
  cur = false
elseif #cur == 256 and not string.find(cur, '"data":', 1, true) then
  cur = redis.call('GET', KEYS[1])
end
local live, rev = false, false
if cur then
  local e = string.match(cur, '"expires":(%-?%d+)')
  live = e ~= nil and tonumber(e) > tonumber(ARGV[6])
end
if live then
  rev = string.match(cur, '^{"v":%d+,"rev":"([^"]*)"')
  if not rev then rev = 'legacy-' .. (string.match(cur, '"version":(%-?%d+)') or '0') end
  if rev == ARGV[8] then return {1} end
end
local expect = ARGV[1]
-- A compare-and-set that finds the rev it expects live was not applied
-- before: the live rev would be its own, or a later one, never an earlier
-- one again. Any other write looks for the marker that an earlier call with
-- the same rev left.
if rev ~= expect and redis.call('EXISTS', KEYS[4]) == 1 then return {1} end
if expect ~= '*' then
  if live then
    if rev ~= expect then return {0, redis.call('GET', KEYS[1])} end
  elseif expect ~= '' then
    return {0}
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
if not cur then redis.call('ZADD', KEYS[2], 0, ARGV[4]) end
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
redis.call('SET', KEYS[4], '1', 'PX', ARGV[7])
if #ARGV > 8 and ARGV[9] ~= '' then announce(ARGV[9], ARGV[10], ARGV[11]) end
return {1}
`)

// changeScript changes a stored scope in place (scopes.Changer): a visit
// (lastvisit, expires, a hit) and, when ARGV[2] is not empty, new data and
// one more version, or, when ops follow ARGV[11], a PATCH applied to the
// data and one more version. It reads the envelope's header as EncodeRecord
// writes it, and the data as a compact object whose member names have no
// escapes; anything else answers {2} and is left to the engine, which reads,
// applies and writes it, and so is a PATCH it cannot apply as
// scopes.Patch.Apply would (an incr of a number that is not an integer of
// at most 15 digits). It returns {1, value} when the change is applied (now,
// or by an earlier call with the same rev: the value is then the stored
// one), {0} when no live scope is stored, {3, value} when ARGV[3] names
// another version than the stored one, {4, size} when the patched data is
// over ARGV[11] bytes. A save's answer carries the envelope with empty
// data: the caller has the data it sent.
//
// The PATCH sorts the members by name, as Apply does, and keeps the other
// values' bytes as they are (Apply escapes <, > and & in them).
//
// KEYS: scope, lex index, expiry index, marker. ARGV: rev, data or "",
// if-version ("0" for none), hit ("1" or "0"), lastvisit (ms), expires (ms),
// PXAT, now (ms), marker TTL (ms), cfid, the data's size limit ("0" for
// none), then the ops: "s", name, value; "u", name; "i", name, amount
// (names as JSON strings, quotes included).
var changeScript = goredis.NewScript(`
local function strEnd(s, i)
  local j = i + 1
  while true do
    local k = string.find(s, '["\\]', j)
    if not k then return nil end
    if string.byte(s, k) == 92 then j = k + 2 else return k + 1 end
  end
end
local function valueEnd(s, i)
  local c = string.byte(s, i)
  if c == 34 then return strEnd(s, i) end
  if c == 123 or c == 91 then
    local depth, j = 0, i
    while true do
      local k = string.find(s, '[%[%]{}"]', j)
      if not k then return nil end
      local ch = string.byte(s, k)
      if ch == 34 then
        j = strEnd(s, k)
        if not j then return nil end
      else
        if ch == 123 or ch == 91 then depth = depth + 1 else depth = depth - 1 end
        j = k + 1
        if depth == 0 then return j end
      end
    end
  end
  return string.find(s, '[,}]', i)
end
local function less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
-- patch returns data with the ops of ARGV[first..] applied, or nil when it
-- cannot apply them in place (the engine then does it).
local function patch(d, first)
  if string.sub(d, 1, 1) ~= '{' then return nil end
  local vals, i = {}, 2
  if string.sub(d, 2, 2) ~= '}' then
    while true do
      if string.byte(d, i) ~= 34 then return nil end
      local ke = strEnd(d, i)
      if not ke then return nil end
      local key = string.sub(d, i, ke - 1)
      if string.find(key, '\\', 1, true) or string.byte(d, ke) ~= 58 then return nil end
      local ve = valueEnd(d, ke + 1)
      if not ve then return nil end
      vals[key] = string.sub(d, ke + 1, ve - 1)
      local c = string.byte(d, ve)
      if c == 125 then
        if ve ~= #d then return nil end
        break
      end
      if c ~= 44 then return nil end
      i = ve + 1
    end
  end
  local a = first
  while a <= #ARGV do
    local op, key = ARGV[a], ARGV[a + 1]
    if op == 's' then
      vals[key] = ARGV[a + 2]
      a = a + 3
    elseif op == 'u' then
      vals[key] = nil
      a = a + 2
    else
      local cur = vals[key] or '0'
      if not string.find(cur, '^%-?%d+$') or #cur > 16 then return nil end
      vals[key] = string.format('%d', tonumber(cur) + tonumber(ARGV[a + 2]))
      a = a + 3
    end
  end
  local keys = {}
  for k in pairs(vals) do keys[#keys + 1] = k end
  table.sort(keys, less)
  local out = {}
  for n, k in ipairs(keys) do out[n] = k .. ':' .. vals[k] end
  return '{' .. table.concat(out, ',') .. '}'
end

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
elseif #ARGV > 11 then
  local patched = patch(data, 12)
  if not patched then return {2} end
  if ARGV[11] ~= '0' and #patched > tonumber(ARGV[11]) then return {4, tostring(#patched)} end
  data = patched
  ver = string.format('%d', tonumber(ver) + 1)
end
if ARGV[4] == '1' then hc = string.format('%d', tonumber(hc) + 1) end
local v = '{"v":1,"rev":"' .. ARGV[1] .. '","cftoken":' .. cftoken .. ',"timecreated":' .. tc ..
  ',"lastvisit":' .. ARGV[5] .. ',"hitcount":' .. hc .. ',"expires":' .. ARGV[6] ..
  ',"version":' .. ver .. ',"data":' .. data .. '}'
redis.call('SET', KEYS[1], v, 'PXAT', ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[10])
redis.call('SET', KEYS[4], '1', 'PX', ARGV[9])
if ARGV[2] ~= '' then
  -- The caller has the data it sent: the envelope without it is enough.
  return {1, string.sub(v, 1, #v - #data - 1) .. '{}}'}
end
return {1, v}
`)

// deleteScript deletes a scope and its index entries and returns {1} when
// there was a value, {0} otherwise. ARGV: cfid, and the channel, message
// and own channel that announce the delete ("" for none). KEYS: scope, lex
// index, expiry index.
var deleteScript = goredis.NewScript(announceLua + `
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if n == 1 and ARGV[2] ~= '' then announce(ARGV[2], ARGV[3], ARGV[4]) end
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
