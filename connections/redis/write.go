package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// Write writes rec if the live record under its key meets expect (see
// scopes.Store.Write), in one round trip: writeScript checks the stored
// value's rev, writes the value with its TTL, both index entries and a
// marker of the write, and answers with the live value when the check
// fails, so that the caller needs no read to apply its change again.
//
// The marker, kept for markerTTL, makes the write idempotent: sent again
// with the same rev, after a timeout or a broken connection, it is
// recognised and not applied twice, whether the first copy ran already or
// runs later, and whatever was written since. That is what lets go-redis
// retry it and the engine resolve an unknown outcome.
//
// With replicas set (min_replicas_acked), the script and a WAIT go in one
// pipeline; a write that fewer replicas acknowledged in time is an error
// with an unknown outcome, which the engine resolves by sending it again,
// until a promoted replica or the master has it.
func (s *Store) Write(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	return s.write(ctx, rec, expect, now, false)
}

// write is Write, which publishes its announcement when announce is set.
func (s *Store) write(ctx context.Context, rec scopes.Record, expect string, now time.Time, announce bool) (scopes.WriteResult, error) {
	k, tag, err := s.keyOf(rec.Key)
	if err != nil {
		return scopes.WriteResult{}, err
	}
	if rec.Rev == "" {
		return scopes.WriteResult{}, scopes.Errorf(scopes.EInvalid, "a record to write needs a rev (scopes.NewRev)")
	}
	s.register(ctx, rec.App, rec.Kind)
	rec, value := stored(rec)
	keys := []string{k, s.lexKey(tag), s.expKey(tag), s.markerKey(tag, rec.Rev)}
	channel, message := "", ""
	if announce {
		channel, message = s.channel(), s.announcement(rec.Key)
	}
	args := []any{expect, value, expireAt(rec), rec.CFID, rec.Expires.UnixMilli(), now.UnixMilli(), s.markerTTL.Milliseconds(), rec.Rev, channel, message}
	reply, err := s.runScript(ctx, writeScript, k, keys, args)
	if err != nil {
		return scopes.WriteResult{}, fmt.Errorf("redis: write %s %s: %w", rec.App, rec.Kind, err)
	}
	if len(reply) == 0 {
		return scopes.WriteResult{}, fmt.Errorf("redis: write %s %s: empty reply", rec.App, rec.Kind)
	}
	if applied, _ := reply[0].(int64); applied == 1 {
		return scopes.WriteResult{Written: true, Rec: rec, Found: true}, nil
	}
	if len(reply) < 2 {
		return scopes.WriteResult{Rec: scopes.Record{Key: rec.Key}}, nil
	}
	cur, _ := reply[1].(string)
	got, err := scopes.DecodeRecord(rec.Key, []byte(cur))
	if err != nil {
		return scopes.WriteResult{}, err
	}
	return scopes.WriteResult{Rec: got, Found: true}, nil
}

// runScript runs a script that writes the scope under k, and WAIT after it
// in the same round trip when replicas are to acknowledge it.
func (s *Store) runScript(ctx context.Context, script *goredis.Script, k string, keys []string, args []any) ([]any, error) {
	if s.replicas == 0 {
		reply, err := script.Run(ctx, s.client, keys, args...).Slice()
		if err != nil {
			s.reloadOnFailure(ctx)
		}
		return reply, err
	}
	// WAIT must reach the master that ran the script: in Cluster mode, the
	// master of the key's slot, not a node the client picks at random.
	var c goredis.Cmdable = s.client
	if cc, ok := s.client.(*goredis.ClusterClient); ok {
		node, err := cc.MasterForKey(ctx, k)
		if err != nil {
			return nil, err
		}
		c = node
	}
	for attempt := 0; ; attempt++ {
		pipe := c.Pipeline()
		cmd := script.EvalSha(ctx, pipe, keys, args...)
		wait := pipe.Do(ctx, "WAIT", s.replicas, s.replicaTimeout.Milliseconds())
		_, err := pipe.Exec(ctx)
		if attempt == 0 && err != nil && (errors.Is(cmd.Err(), goredis.ErrNoScript) || goredis.HasErrorPrefix(cmd.Err(), "NOSCRIPT")) {
			if err := script.Load(ctx, s.client).Err(); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			s.reloadOnFailure(ctx)
			return nil, err
		}
		if acked, _ := wait.Int64(); acked < int64(s.replicas) {
			return nil, fmt.Errorf("%d of %d replicas acknowledged the write within %v (min_replicas_acked)", acked, s.replicas, s.replicaTimeout)
		}
		return cmd.Slice()
	}
}

// reloadOnFailure asks a ClusterClient to read the slot map again, so that a
// master that died (which answers nothing, never MOVED) is replaced by its
// promoted replica as soon as the cluster has one.
func (s *Store) reloadOnFailure(ctx context.Context) {
	if cc, ok := s.client.(*goredis.ClusterClient); ok {
		cc.ReloadState(ctx)
	}
}

// register adds an (app, kind) to the registry that DeleteExpired walks,
// once per Store. A failure is logged, not returned: the write goes on, and
// the next one tries again; the registry lives in a slot of its own, so
// that writes of scopes never wait for the one master that holds it.
func (s *Store) register(ctx context.Context, app string, kind scopes.Kind) {
	member := kindOf(app, kind)
	if _, ok := s.registered.Load(member); ok {
		return
	}
	if err := s.client.SAdd(ctx, s.registryKey(), member).Err(); err != nil {
		s.log.WarnContext(ctx, "could not register an app's scopes for the cleaner; trying again on the next write", "app", app, "kind", kind, "err", err)
		return
	}
	s.registered.Store(member, true)
}
