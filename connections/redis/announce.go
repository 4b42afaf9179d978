package redis

import (
	"context"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// The announcements of writes (scopes.Announcer) go over Redis pub/sub, on
// the channel <prefix>changed, as "<instance> <app> <kind> <cfid>": the
// write script publishes them in the same round trip as the write, and
// every instance that keeps copies (cluster = false) subscribes. In Cluster
// mode a PUBLISH reaches the subscribers of every node.
//
// An instance that watches also subscribes to a channel of its own,
// <prefix>changed:<instance>, on the same connection, so that a script can
// count the other instances listening (PUBSUB NUMSUB of both channels) and
// publish only when there is one: a lone instance, the usual cluster = false
// set-up, would otherwise have Redis send it every one of its own writes,
// which it reads and drops. The count and the write are one script, so an
// instance that subscribes a moment later reads the scope from Redis, after
// the write. In Cluster mode NUMSUB counts one node's subscribers only, and
// every write is published.

// subscribeTimeout bounds how long Watch waits for Redis to confirm its
// subscription.
const subscribeTimeout = 2 * time.Second

// WriteAnnounced is Write that also publishes the write when it is applied.
func (s *Store) WriteAnnounced(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	return s.write(ctx, rec, expect, now, true)
}

// channel is the pub/sub channel of this connection's announcements.
func (s *Store) channel() string { return s.prefix + "changed" }

// ownChannel is the channel by which this instance's subscription is told
// from the others', or "" in Cluster mode, where every write is announced.
func (s *Store) ownChannel() string {
	if s.cluster {
		return ""
	}
	return s.channel() + ":" + s.instance
}

// announceLua defines announce(channel, message, own) for the scripts that
// announce: it publishes message unless own is set and every subscriber of
// channel is a subscriber of own, that is this instance. When NUMSUB fails
// (an ACL that allows PUBLISH only) or answers in another shape, it
// publishes.
const announceLua = `
local function announce(channel, message, own)
  if own ~= '' then
    local n = redis.pcall('PUBSUB', 'NUMSUB', channel, own)
    if type(n) == 'table' and n.err == nil then
      local all, mine = tonumber(n[2]), tonumber(n[4])
      if all and mine and all <= mine then return end
    end
  end
  redis.call('PUBLISH', channel, message)
end
`

// announcement is the message that announces a write of key.
func (s *Store) announcement(key scopes.Key) string {
	return s.instance + " " + key.App + " " + string(key.Kind) + " " + key.CFID
}

// Watch subscribes to the announcements and calls changed with the key of
// each write by another instance, until the store is closed. go-redis
// subscribes again by itself after a broken connection; what was published
// meanwhile is lost, so copies may be stale for that long.
func (s *Store) Watch(changed func(scopes.Key)) {
	channels := []string{s.channel()}
	if own := s.ownChannel(); own != "" {
		channels = append(channels, own)
	}
	// One SUBSCRIBE for both, here and when go-redis subscribes again, so
	// that a script never counts this instance under one channel only.
	sub, err := s.subscribe(channels)
	if len(channels) > 1 && goredis.HasErrorPrefix(err, "NOPERM") {
		// A Redis user allowed the shared channel only: without its own
		// channel this instance counts as another listener, and every
		// write is announced, as before there was one.
		s.log.Warn("the Redis user may not subscribe to this instance's own channel, so every write is announced, also when no other instance listens; allow the channels "+s.channel()+"* to spare that", "channel", channels[1], "err", err)
		_ = sub.Close()
		sub, err = s.subscribe(channels[:1])
	}
	if err != nil {
		s.log.Warn("could not subscribe to the announcements of other instances' writes yet; copies may be stale until it can", "channel", s.channel(), "err", err)
	}
	go func() {
		for msg := range sub.Channel() {
			f := strings.Fields(msg.Payload)
			if len(f) != 4 || f[0] == s.instance {
				continue
			}
			changed(scopes.Key{App: f[1], Kind: scopes.Kind(f[2]), CFID: f[3]})
		}
	}()
	s.closersMu.Lock()
	s.closers = append(s.closers, sub.Close)
	s.closersMu.Unlock()
}

// subscribe subscribes to channels and waits, at most subscribeTimeout, for
// Redis to confirm, so that the writes announced after Watch returns reach
// this instance; go-redis subscribes again by itself if this fails (but for
// a refusal) or the connection breaks.
func (s *Store) subscribe(channels []string) (*goredis.PubSub, error) {
	sub := s.client.Subscribe(context.Background(), channels...)
	ctx, cancel := context.WithTimeout(context.Background(), subscribeTimeout)
	defer cancel()
	_, err := sub.Receive(ctx)
	return sub, err
}
