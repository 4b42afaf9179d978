package redis

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// After every save and touch, the key's TTL is the record's remaining time,
// plus expiryGrace.
func TestTTLFollowsExpires(t *testing.T) {
	for _, b := range backends {
		if b.name == "miniredis" {
			continue // miniredis's TTLs do not run down; this is about Redis's
		}
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := MustOpen(t, b.params(t))
			now := time.Now()
			rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
			k := rawKey(s, rec.Key)

			checkTTL := func(step string, expires time.Time) {
				t.Helper()
				ttl, err := s.client.PTTL(ctx, k).Result()
				if err != nil {
					t.Fatalf("%s: PTTL: %v", step, err)
				}
				want := time.Until(expires) + expiryGrace
				if d := ttl - want; d < -time.Second || d > time.Second {
					t.Errorf("%s: PTTL %v, want %v (expires in %v, plus the grace)", step, ttl, want, time.Until(expires))
				}
			}

			rec.Expires = now.Add(30 * time.Minute)
			if err := s.Save(ctx, rec); err != nil {
				t.Fatal(err)
			}
			checkTTL("after Save", rec.Expires)

			// An update that shortens the expiry: the TTL follows it down too.
			expires := now.Add(20 * time.Minute)
			if _, err := s.Update(ctx, rec.Key, now, func(cur scopes.Record, found bool) (scopes.Record, error) {
				cur.Version++
				cur.Data = []byte(`{"n":2}`)
				cur.Expires = expires
				return cur, nil
			}); err != nil {
				t.Fatal(err)
			}
			checkTTL("after Update", expires)

			// A touch: a visit keeps the version and moves lastvisit and expires.
			later := now.Add(time.Minute)
			touched := later.Add(45 * time.Minute)
			if _, err := s.Update(ctx, rec.Key, later, func(cur scopes.Record, found bool) (scopes.Record, error) {
				cur.LastVisit, cur.Expires = later, touched
				return cur, nil
			}); err != nil {
				t.Fatal(err)
			}
			checkTTL("after a touch", touched)

			// A create through Update.
			fresh := newRecord("shop", scopes.Client, now, `{}`)
			fresh.Expires = now.Add(90 * 24 * time.Hour)
			if _, err := s.Update(ctx, fresh.Key, now, func(scopes.Record, bool) (scopes.Record, error) { return fresh, nil }); err != nil {
				t.Fatal(err)
			}
			k = rawKey(s, fresh.Key)
			checkTTL("after a create by Update", fresh.Expires)
		})
	}
}

// The scope's key carries the hash tag; the index and the registry hold it.
func TestKeyLayout(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := MustOpen(t, b.params(t))
			rec := newRecord("shop", scopes.Client, time.Now(), `{}`)
			if err := s.Save(ctx, rec); err != nil {
				t.Fatal(err)
			}
			k := rawKey(s, rec.Key)
			if got := s.scopeKey(tagOf(rec.App, rec.Kind), rec.CFID); got != k {
				t.Errorf("scope key %q, want %q", got, k)
			}
			if n, err := s.client.Exists(ctx, k).Result(); err != nil || n != 1 {
				t.Errorf("EXISTS %s = %d, %v", k, n, err)
			}
			idx := s.prefix + "idx:{shop:client}"
			if _, err := s.client.ZScore(ctx, idx, rec.CFID).Result(); err != nil {
				t.Errorf("ZSCORE %s %s: %v", idx, rec.CFID, err)
			}
			if ok, err := s.client.SIsMember(ctx, s.prefix+"indexes", "shop:client").Result(); err != nil || !ok {
				t.Errorf("SISMEMBER %sindexes shop:client = %v, %v", s.prefix, ok, err)
			}
		})
	}
}

// The prefix of a connection without one.
func TestDefaultPrefix(t *testing.T) {
	s := MustOpen(t, map[string]string{"host": "127.0.0.1"})
	if s.prefix != "scopestore:" {
		t.Errorf("prefix %q, want scopestore:", s.prefix)
	}
}
