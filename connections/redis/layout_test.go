package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// After every write, the key's TTL is the record's remaining time, plus
// expiryGrace.
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
			if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
				t.Fatalf("create = %+v, %v", res, err)
			}
			checkTTL("after a create", rec.Expires)

			// A write that shortens the expiry: the TTL follows it down too.
			upd := rec
			upd.Rev, upd.Version, upd.Expires = scopes.NewRev(), 2, now.Add(20*time.Minute)
			if res, err := s.Write(ctx, upd, rec.Rev, now); err != nil || !res.Written {
				t.Fatalf("write = %+v, %v", res, err)
			}
			checkTTL("after a write", upd.Expires)
		})
	}
}

// A scope's keys share the hash tag of its bucket: the value, both indexes
// (the expiry index scored by its Expires) and the write's marker; the
// registry holds the (app, kind).
func TestKeyLayout(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := MustOpen(t, b.params(t))
			now := time.Now()
			rec := newRecord("shop", scopes.Client, now, `{}`)
			if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
				t.Fatalf("create = %+v, %v", res, err)
			}
			tag := "shop:client:" + rec.CFID[:1]
			if got, want := s.scopeKey(tag, rec.CFID), rawKey(s, rec.Key); got != want {
				t.Errorf("scope key %q, want %q", got, want)
			}
			if n, err := s.client.Exists(ctx, rawKey(s, rec.Key)).Result(); err != nil || n != 1 {
				t.Errorf("EXISTS %s = %d, %v", rawKey(s, rec.Key), n, err)
			}
			lex := s.prefix + "{" + tag + "}idx"
			if score, err := s.client.ZScore(ctx, lex, rec.CFID).Result(); err != nil || score != 0 {
				t.Errorf("ZSCORE %s %s = %v, %v; want 0", lex, rec.CFID, score, err)
			}
			exp := s.prefix + "{" + tag + "}exp"
			if score, err := s.client.ZScore(ctx, exp, rec.CFID).Result(); err != nil || int64(score) != rec.Expires.UnixMilli() {
				t.Errorf("ZSCORE %s %s = %v, %v; want %d", exp, rec.CFID, score, err, rec.Expires.UnixMilli())
			}
			marker := s.prefix + "{" + tag + "}w:" + rec.Rev
			if ttl, err := s.client.PTTL(ctx, marker).Result(); err != nil || ttl <= 0 || ttl > defaultMarkerTTL {
				t.Errorf("PTTL %s = %v, %v; want up to %v", marker, ttl, err, defaultMarkerTTL)
			}
			waitRegistered(t, s, "shop", scopes.Client)
			if ok, err := s.client.SIsMember(ctx, s.prefix+"indexes", "shop:client").Result(); err != nil || !ok {
				t.Errorf("SISMEMBER %sindexes shop:client = %v, %v", s.prefix, ok, err)
			}
		})
	}
}

// Each operation that a request makes costs one command, so one round trip:
// no read before a write, index upkeep included.
func TestOneRoundTripEach(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := MustOpen(t, realParams(t))
	rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
	// The first write of an (app, kind) registers it, once per Store.
	save(t, s, newRecord("shop", scopes.Session, now, `{}`))
	waitRegistered(t, s, "shop", scopes.Session)
	// A load and a delete first, so that the autopipeliners have dialled
	// their connections (HELLO, CLIENT SETINFO) before the counting.
	if _, _, err := s.Load(ctx, rec.Key, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, rec.Key); err != nil {
		t.Fatal(err)
	}
	// Loaded first, so that EVALSHA never falls back to EVAL.
	if err := writeScript.Load(ctx, s.client).Err(); err != nil {
		t.Fatal(err)
	}
	if err := deleteScript.Load(ctx, s.client).Err(); err != nil {
		t.Fatal(err)
	}
	if err := changeScript.Load(ctx, s.client).Err(); err != nil {
		t.Fatal(err)
	}
	upd := rec
	upd.Rev, upd.Version = scopes.NewRev(), 2
	ops := []struct {
		name string
		run  func() error
	}{
		{"create", func() error { _, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); return err }},
		{"load", func() error { _, _, err := s.Load(ctx, rec.Key, now); return err }},
		{"save", func() error { _, err := s.Write(ctx, upd, rec.Rev, now); return err }},
		{"stale save", func() error { _, err := s.Write(ctx, upd, "someone-else", now); return err }},
		{"visit in place", func() error {
			_, _, _, err := s.Change(ctx, rec.Key, scopes.Change{Rev: scopes.NewRev(), LastVisit: now, Expires: now.Add(time.Hour), Hit: true}, now)
			return err
		}},
		{"save in place", func() error {
			_, _, _, err := s.Change(ctx, rec.Key, scopes.Change{Rev: scopes.NewRev(), Data: []byte(`{"n":3}`), LastVisit: now, Expires: now.Add(time.Hour)}, now)
			return err
		}},
		{"delete", func() error { _, err := s.Delete(ctx, rec.Key); return err }},
	}
	for _, op := range ops {
		r := record(s)
		if err := op.run(); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		if n := r.total(); n != 1 {
			t.Errorf("%s sent %d commands (%v), want 1", op.name, n, r.names)
		}
	}
}

// Every cfid has one of the 16 buckets, which DeleteExpired, Count and List
// walk: a hex digit's own, and for the shared scopes' cfids the last that
// sorts before them, so that List's order across buckets is cfid order.
func TestBucketChar(t *testing.T) {
	for cfid, want := range map[string]byte{
		"":                                     '0',
		"0c9a1f4e-2b7d-4c8e-9f10-3a5b6c7d8e9f": '0',
		"9c9a1f4e-2b7d-4c8e-9f10-3a5b6c7d8e9f": '9',
		"Bc9a1f4e-2b7d-4c8e-9f10-3a5b6c7d8e9f": 'b',
		"fc9a1f4e-2b7d-4c8e-9f10-3a5b6c7d8e9f": 'f',
		scopes.ApplicationCFID:                 'a',
		scopes.ServerCFID:                      'f',
		"-":                                    '0',
		":":                                    '9',
	} {
		if got := bucketChar(cfid); got != want {
			t.Errorf("bucketChar(%q) = %q, want %q", cfid, got, want)
		}
	}
}

// scriptKeys cuts three keys from one string: they must be the keys that
// lexKey, expKey and markerKey name, and the member that memberOf cuts
// from the tag must be kindOf's.
func TestScriptKeys(t *testing.T) {
	for _, prefix := range []string{"scopestore:", ""} {
		s := &Store{prefix: prefix}
		for _, key := range []scopes.Key{
			{App: "shop", Kind: scopes.Session, CFID: "c0ffee00-0000-4000-8000-000000000000"},
			{App: "a", Kind: scopes.Application, CFID: "application"},
			{App: "intranet-2", Kind: scopes.Client, CFID: "0"},
		} {
			k, tag, err := s.keyOf(key)
			if err != nil {
				t.Fatal(err)
			}
			got := s.scriptKeys(k, tag, "Zr3v-_x")
			want := []string{s.scopeKey(tag, key.CFID), s.lexKey(tag), s.expKey(tag), s.markerKey(tag, "Zr3v-_x")}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("prefix %q, %v: scriptKeys = %q, want %q", prefix, key, got, want)
			}
			if want := bucketTag(kindOf(key.App, key.Kind), bucketChar(key.CFID)); tag != want {
				t.Errorf("%v: tag %q, want bucketTag's %q", key, tag, want)
			}
			if member := memberOf(tag); member != kindOf(key.App, key.Kind) {
				t.Errorf("%v: memberOf = %q, want %q", key, member, kindOf(key.App, key.Kind))
			}
		}
	}
}
