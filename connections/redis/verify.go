package redis

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// verifyTTL is the TTL of Verify's probe key, so that a probe left behind by
// a check that failed half-way goes by itself.
const verifyTTL = time.Minute

// clockTolerance is how far the probe's TTL may be from verifyTTL. The probe
// expires at a time of this host's clock, as scopes do: a TTL further off
// means that Redis's clock disagrees, and scopes would expire that much
// early or late.
const clockTolerance = 5 * time.Second

// verifyCheck is one step of Verify. run returns a note that completes the
// step's name in the report when it passes ("cluster mode (3 masters)").
type verifyCheck struct {
	name  string
	needs string // the check that must have passed first
	run   func() (note string, err error)
}

// Verify checks, step by step, what storage needs: that Redis answers
// ("connect"; in Cluster mode also "cluster mode": every master answers),
// that a key can be written with a TTL as scopes are (SET … PXAT), read
// back, has that TTL, can be rewritten by the write script (with
// WAIT when min_replicas_acked is set), and deleted. A check whose prerequisite failed is reported as
// skipped, naming the check that failed.
func (s *Store) Verify(ctx context.Context) []scopes.Health {
	var b [8]byte
	_, _ = rand.Read(b[:])
	// A hash tag of its own puts the probe and the keys that the write
	// script adds beside it in one slot.
	probe := s.prefix + "{verify:" + hex.EncodeToString(b[:]) + "}"
	rev := scopes.NewRev()
	scriptKeys := []string{probe, probe + "idx", probe + "exp", probe + "w:" + rev}
	value := []byte("scopestore verify " + hex.EncodeToString(b[:]))

	checks := []verifyCheck{{"connect", "", func() (string, error) { return "", s.client.Ping(ctx).Err() }}}
	if s.cluster {
		checks = append(checks, verifyCheck{"cluster mode", "connect", func() (string, error) {
			n, err := s.verifyCluster(ctx)
			return fmt.Sprintf("(%d masters)", n), err
		}})
	}
	checks = append(checks,
		verifyCheck{"write with TTL", "connect", func() (string, error) {
			at := time.Now().Add(verifyTTL).UnixMilli()
			err := s.client.Do(ctx, "SET", probe, value, "PXAT", at).Err()
			if err != nil && strings.Contains(strings.ToLower(err.Error()), "syntax") {
				err = fmt.Errorf("%w (SET … PXAT needs Redis 6.2 or later)", err)
			}
			return "", err
		}},
		verifyCheck{"read", "write with TTL", func() (string, error) {
			got, err := s.client.Get(ctx, probe).Bytes()
			switch {
			case errors.Is(err, goredis.Nil):
				return "", errors.New("the key just written is missing: is Redis's clock more than a minute ahead?")
			case err != nil:
				return "", err
			case !bytes.Equal(got, value):
				return "", fmt.Errorf("read %q, wrote %q", got, value)
			}
			return "", nil
		}},
		verifyCheck{"TTL", "write with TTL", func() (string, error) {
			ttl, err := s.client.PTTL(ctx, probe).Result()
			switch {
			case err != nil:
				return "", err
			case ttl <= 0:
				return "", fmt.Errorf("PTTL is %v: the server does not keep the TTL", ttl)
			case ttl < verifyTTL-clockTolerance || ttl > verifyTTL+clockTolerance:
				return "", fmt.Errorf("PTTL is %v for a key set to expire in %v: Redis's clock and this host's differ by about %v, and scopes would expire that much off",
					ttl.Round(time.Second), verifyTTL, (ttl - verifyTTL).Abs().Round(time.Second))
			}
			return "", nil
		}},
		verifyCheck{"compare-and-set script", "write with TTL", func() (string, error) {
			now := time.Now()
			rec := scopes.Record{Key: scopes.Key{App: "verify", Kind: scopes.Session, CFID: "verify"}, Rev: rev, CFToken: "0",
				TimeCreated: now, LastVisit: now, Expires: now.Add(verifyTTL), Version: 1}
			_, env := stored(rec)
			a := &writeArgs{expect: scopes.ExpectAbsent, value: env, pxat: expireAt(rec), cfid: rec.CFID, expires: rec.Expires.UnixMilli(),
				now: now.UnixMilli(), markerTTL: verifyTTL.Milliseconds(), rev: rev}
			reply, err := s.runScript(ctx, writeScript, probe, scriptKeys, a.list())
			if err == nil && (len(reply) == 0 || reply[0] != int64(1)) {
				err = fmt.Errorf("the script answered %v, want [1] (written)", reply)
			}
			return "", err
		}},
		verifyCheck{"delete", "write with TTL", func() (string, error) {
			n, err := s.client.Del(ctx, scriptKeys...).Result()
			if err == nil && n < 1 {
				err = fmt.Errorf("DEL removed %d keys, want at least 1", n)
			}
			return "", err
		}},
	)

	// failed maps each check that did not pass to the check that failed
	// first, which is what a skipped check names.
	failed := map[string]string{}
	out := make([]scopes.Health, 0, len(checks))
	for _, c := range checks {
		h := scopes.Health{Name: c.name}
		if cause, ok := failed[c.needs]; ok {
			h.Err = fmt.Errorf("redis: verify %s: skipped because %s failed", c.name, cause)
			failed[c.name] = cause
		} else if note, err := c.run(); err != nil {
			h.Err = fmt.Errorf("redis: verify %s: %w", c.name, err)
			failed[c.name] = c.name
		} else if note != "" {
			h.Name += " " + note
		}
		out = append(out, h)
	}
	return out
}

// verifyCluster pings every master of the cluster, so that a node down or
// unreachable from here shows, not only the one that answered "connect", and
// returns how many answered.
func (s *Store) verifyCluster(ctx context.Context) (int, error) {
	cc, ok := s.client.(*goredis.ClusterClient)
	if !ok {
		return 0, fmt.Errorf("the client is a %T, not a cluster client", s.client)
	}
	var masters atomic.Int32
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
		if err := c.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("master %s: %w", c.Options().Addr, err)
		}
		masters.Add(1)
		return nil
	})
	if err == nil && masters.Load() == 0 {
		err = errors.New("the cluster has no master")
	}
	return int(masters.Load()), err
}
