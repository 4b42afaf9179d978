package memcached

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/scopestore/scopestore/scopes"
)

// verifyTTL is the expiry of Verify's probe, so that a probe left behind by
// a check that failed half-way goes by itself.
const verifyTTL = time.Minute

// verifyCheck is one step of Verify.
type verifyCheck struct {
	name  string
	needs string // the check that must have passed first
	run   func() error
}

// Verify checks, step by step, what storage needs: that every server
// answers ("connect"), that an item can be written with an expiry as scopes
// are ("write with TTL"), read back with its CAS id ("read"), replaced by a
// compare-and-set as writes are ("compare-and-set"), and deleted. A check
// whose prerequisite failed is reported as skipped, naming the check that
// failed.
func (s *Store) Verify(ctx context.Context) []scopes.Health {
	var b [8]byte
	_, _ = rand.Read(b[:])
	probe := s.prefix + "verify:" + hex.EncodeToString(b[:])
	value := []byte("scopestore verify " + hex.EncodeToString(b[:]))
	var casID uint64

	checks := []verifyCheck{
		{"connect", "", func() error { return s.Ping(ctx) }},
		{"write with TTL", "connect", func() error {
			return s.client.Set(&memcache.Item{Key: probe, Value: value, Expiration: expiration(time.Now().Add(verifyTTL), time.Now())})
		}},
		{"read", "write with TTL", func() error {
			it, err := s.client.Get(probe)
			switch {
			case errors.Is(err, memcache.ErrCacheMiss):
				return errors.New("the item just written is missing: is memcached out of memory (-m), or its clock far ahead?")
			case err != nil:
				return err
			case !bytes.Equal(it.Value, value):
				return fmt.Errorf("read %q, wrote %q", it.Value, value)
			}
			casID = it.CasID
			return nil
		}},
		{"compare-and-set", "read", func() error {
			err := s.client.CompareAndSwap(&memcache.Item{Key: probe, Value: append(value, " cas"...), Expiration: int32(verifyTTL / time.Second), CasID: casID})
			if err != nil {
				return err
			}
			// A second swap from the same CAS id must be refused, or
			// concurrent writes of one scope would overwrite each other.
			err = s.client.CompareAndSwap(&memcache.Item{Key: probe, Value: value, Expiration: int32(verifyTTL / time.Second), CasID: casID})
			switch {
			case err == nil:
				return errors.New("a second compare-and-set from a stale CAS id succeeded: the server does not enforce CAS (started with -C?)")
			case !errors.Is(err, memcache.ErrCASConflict):
				return fmt.Errorf("a second compare-and-set from a stale CAS id answered %w, want a conflict", err)
			}
			return nil
		}},
		{"delete", "write with TTL", func() error { return s.client.Delete(probe) }},
	}

	// failed maps each check that did not pass to the check that failed
	// first, which is what a skipped check names.
	failed := map[string]string{}
	out := make([]scopes.Health, 0, len(checks))
	for _, c := range checks {
		h := scopes.Health{Name: c.name}
		if cause, ok := failed[c.needs]; ok {
			h.Err = fmt.Errorf("memcached: verify %s: skipped because %s failed", c.name, cause)
			failed[c.name] = cause
		} else if err := c.run(); err != nil {
			h.Err = fmt.Errorf("memcached: verify %s: %w", c.name, err)
			failed[c.name] = c.name
		}
		out = append(out, h)
	}
	return out
}
