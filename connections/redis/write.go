package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
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
	s.register(ctx, rec.App, rec.Kind, tag)
	rec, value := stored(rec)
	keys := s.scriptKeys(k, tag, rec.Rev)
	a := &writeArgs{expect: expect, value: value, pxat: expireAt(rec), cfid: rec.CFID, expires: rec.Expires.UnixMilli(),
		now: now.UnixMilli(), markerTTL: s.markerTTL.Milliseconds(), rev: rec.Rev}
	if announce {
		a.channel, a.message, a.own = s.channel(), s.announcement(rec.Key), s.ownChannel()
	}
	reply, err := s.runScript(ctx, writeScript, k, keys, a.list())
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

// writeArgs are writeScript's arguments (see its doc), in one allocation:
// go-redis takes arguments as interface values, and a pointer in one, which
// it reads through, needs no allocation of its own, as a string or a number
// put in an interface does (seven of them per write).
type writeArgs struct {
	expect, cfid, rev, channel, message, own string
	pxat, expires, now, markerTTL            int64
	value                                    []byte
	args                                     [11]any
}

// list returns the arguments in writeScript's order, without the three of
// the announcement when there is none.
func (a *writeArgs) list() []any {
	a.args = [11]any{&a.expect, a.value, &a.pxat, &a.cfid, &a.expires, &a.now, &a.markerTTL, &a.rev, &a.channel, &a.message, &a.own}
	if a.channel == "" {
		return a.args[:8]
	}
	return a.args[:]
}

// runScript sends a script that writes the scope under k (see send), and
// when Redis answers that it did not run it — a MOVED while a failover
// moves the slot, a cluster or master that is down, a demoted master that
// is read-only — or no connection could be had, sends it again, reading the
// slot map anew, for up to notAppliedWait in Cluster mode, where a replica
// is promoted within seconds. A failure that applied nothing is returned
// wrapped with scopes.ErrNotApplied; any other failure may have applied the
// write, and the engine resolves it by sending it again.
func (s *Store) runScript(ctx context.Context, script *goredis.Script, k string, keys []string, args []any) ([]any, error) {
	deadline := time.Now().Add(notAppliedWait)
	for attempt := 1; ; attempt++ {
		reply, err := s.send(ctx, script, k, keys, args)
		if err == nil || !notApplied(err) {
			return reply, err
		}
		s.reloadOnFailure(ctx)
		if !s.cluster || time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %w", scopes.ErrNotApplied, err)
		}
		t := time.NewTimer(time.Duration(min(attempt, 5)) * 50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w: %w", scopes.ErrNotApplied, err)
		case <-t.C:
		}
	}
}

// notAppliedWait bounds how long runScript follows a Cluster failover.
const notAppliedWait = 2 * time.Second

// notApplied tells whether a script's failure left it unrun: no connection
// could be had (the writer never retries, so nothing was sent before), or
// Redis answered one of the refusals it gives before running a script.
func notApplied(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" || errors.Is(err, goredis.ErrPoolTimeout) {
		return true
	}
	var rerr goredis.Error
	if !errors.As(err, &rerr) {
		return false
	}
	for _, prefix := range []string{"MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "READONLY", "LOADING", "MASTERDOWN", "NOREPLICAS", "OOM", "BUSY", "NOSCRIPT"} {
		if goredis.HasErrorPrefix(err, prefix) {
			return true
		}
	}
	return false
}

// send runs a script once on the writer, and WAIT after it in the same
// round trip when replicas are to acknowledge it.
func (s *Store) send(ctx context.Context, script *goredis.Script, k string, keys []string, args []any) ([]any, error) {
	if s.replicas == 0 {
		return script.Run(ctx, s.scripts, keys, args...).Slice()
	}
	// WAIT must reach the master that ran the script: in Cluster mode, the
	// master of the key's slot, not a node the client picks at random.
	var c goredis.Cmdable = s.writer
	if cc, ok := s.writer.(*goredis.ClusterClient); ok {
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
		if attempt == 0 && err != nil && isNoScript(cmd.Err()) {
			if err := script.Load(ctx, s.writer).Err(); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if acked, _ := wait.Int64(); acked < int64(s.replicas) {
			return nil, fmt.Errorf("%d of %d replicas acknowledged the write within %v (min_replicas_acked)", acked, s.replicas, s.replicaTimeout)
		}
		return cmd.Slice()
	}
}

// reloadOnFailure asks the Cluster clients to read the slot map again, so
// that a master that died (which answers nothing, never MOVED) is replaced
// by its promoted replica as soon as the cluster has one.
func (s *Store) reloadOnFailure(ctx context.Context) {
	for _, c := range []goredis.UniversalClient{s.client, s.writer} {
		if cc, ok := c.(*goredis.ClusterClient); ok {
			cc.ReloadState(ctx)
		}
	}
}

// register adds an (app, kind) to the registry that DeleteExpired walks,
// once per Store, in the background: the registry lives in one slot, and
// writes of scopes must not wait for the master that holds it, nor fail
// with it. A failure is logged and tried again by a write a second later.
func (s *Store) register(ctx context.Context, app string, kind scopes.Kind, tag string) {
	member := memberOf(tag)
	v, ok := s.registered.Load(member)
	if !ok {
		v, _ = s.registered.LoadOrStore(member, &registration{})
	}
	r := v.(*registration)
	if r.done.Load() || time.Now().UnixMilli()-r.tried.Load() < registerRetry.Milliseconds() || !r.busy.CompareAndSwap(false, true) {
		return
	}
	r.tried.Store(time.Now().UnixMilli())
	go func() {
		defer r.busy.Store(false)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), registerTimeout)
		defer cancel()
		if err := s.client.SAdd(ctx, s.registryKey(), member).Err(); err != nil {
			s.log.WarnContext(ctx, "could not register an app's scopes for the cleaner; trying again on a later write", "app", app, "kind", kind, "err", err)
			return
		}
		r.done.Store(true)
	}()
}

// registration is the state of one registry member's SADD.
type registration struct {
	done, busy atomic.Bool
	tried      atomic.Int64 // unix ms of the last try
}

// Bounds of a registration.
const (
	registerRetry   = time.Second
	registerTimeout = 2 * time.Second
)
