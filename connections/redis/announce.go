package redis

import (
	"context"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// The announcements of writes (scopes.Announcer) go over Redis pub/sub, on
// the channel <prefix>changed, as "<instance> <app> <kind> <cfid>": the
// write script publishes them in the same round trip as the write, and
// every instance that keeps copies (cluster = false) subscribes. In Cluster
// mode a PUBLISH reaches the subscribers of every node.

// subscribeTimeout bounds how long Watch waits for Redis to confirm its
// subscription.
const subscribeTimeout = 2 * time.Second

// WriteAnnounced is Write that also publishes the write when it is applied.
func (s *Store) WriteAnnounced(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	return s.write(ctx, rec, expect, now, true)
}

// channel is the pub/sub channel of this connection's announcements.
func (s *Store) channel() string { return s.prefix + "changed" }

// announcement is the message that announces a write of key.
func (s *Store) announcement(key scopes.Key) string {
	return s.instance + " " + key.App + " " + string(key.Kind) + " " + key.CFID
}

// Watch subscribes to the announcements and calls changed with the key of
// each write by another instance, until the store is closed. go-redis
// subscribes again by itself after a broken connection; what was published
// meanwhile is lost, so copies may be stale for that long.
func (s *Store) Watch(changed func(scopes.Key)) {
	sub := s.client.Subscribe(context.Background(), s.channel())
	// Wait for Redis to confirm the subscription, so that the writes
	// announced after Watch returns reach this instance; go-redis
	// subscribes again by itself if this fails or the connection breaks.
	ctx, cancel := context.WithTimeout(context.Background(), subscribeTimeout)
	if _, err := sub.Receive(ctx); err != nil {
		s.log.Warn("could not subscribe to the announcements of other instances' writes yet; copies may be stale until it can", "channel", s.channel(), "err", err)
	}
	cancel()
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
