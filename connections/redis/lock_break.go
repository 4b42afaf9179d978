package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

var _ scopes.LockBreaker = (*Store)(nil)

// breakScript is BreakLock. KEYS: x, r. ARGV: channel, message. It deletes
// the exclusive holder's key and the readers' set, never the fence, and
// returns the live holders it ended as triples: "x" or "r", token, lease's
// end (ms, Redis's clock). The break is published when it ended any, as a
// release is, so that waiters try at once.
var breakScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
local x = redis.call('GET', KEYS[1])
if x then
  local ttl = redis.call('PTTL', KEYS[1])
  redis.call('DEL', KEYS[1])
  if ttl > 0 then
    out[#out + 1] = 'x'
    out[#out + 1] = x
    out[#out + 1] = now + ttl
  end
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  local rs = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf', 'WITHSCORES')
  for i = 1, #rs, 2 do
    out[#out + 1] = 'r'
    out[#out + 1] = rs[i]
    out[#out + 1] = tonumber(rs[i + 1])
  end
  redis.call('DEL', KEYS[2])
end
if #out > 0 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return out
`)

// BreakLock ends every live lease on (app, name) in one script and
// publishes the release; the fence counter stays.
func (s *Store) BreakLock(ctx context.Context, app, name string, _ time.Time) ([]scopes.HeldLock, error) {
	if err := checkLockApp(app); err != nil {
		return nil, err
	}
	keys := s.lockKeys(app, name)[:2]
	reply, err := s.runScript(ctx, breakScript, keys[0], keys, []any{s.lockChannel(), app + ":" + name})
	if err != nil {
		return nil, fmt.Errorf("redis: break lock %s: %w", name, err)
	}
	var broken []scopes.HeldLock
	for i := 0; i+2 < len(reply); i += 3 {
		kind, _ := reply[i].(string)
		tok, _ := reply[i+1].(string)
		exp, _ := reply[i+2].(int64)
		typ := scopes.LockReadonly
		if kind == "x" {
			typ = scopes.LockExclusive
		}
		broken = append(broken, scopes.HeldLock{Name: name, Type: typ, Since: scopes.LockTokenSince(tok), Expires: time.UnixMilli(exp)})
	}
	return broken, nil
}
