package redis

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// saveMany saves n session scopes of app shop and returns their cfids, sorted.
func saveMany(t *testing.T, s *Store, n int, now time.Time) []string {
	t.Helper()
	cfids := make([]string, n)
	for i := range cfids {
		rec := save(t, s, newRecord("shop", scopes.Session, now, `{}`))
		cfids[i] = rec.CFID
	}
	slices.Sort(cfids)
	waitRegistered(t, s, "shop", scopes.Session)
	return cfids
}

func listAll(t *testing.T, s *Store, limit int, now time.Time) (cfids []string, pages []int) {
	t.Helper()
	after := ""
	for {
		page, err := s.List(context.Background(), "shop", scopes.Session, after, limit, now)
		if err != nil {
			t.Fatalf("List after %q: %v", after, err)
		}
		if len(page) == 0 {
			return cfids, pages
		}
		pages = append(pages, len(page))
		for _, rec := range page {
			cfids = append(cfids, rec.CFID)
		}
		after = page[len(page)-1].CFID
	}
}

// List pages through 250 scopes with limit 100, in cfid order, through the
// index: never KEYS nor SCAN.
func TestListPages(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			now := time.Now()
			s := MustOpen(t, b.params(t))
			want := saveMany(t, s, 250, now)
			for _, app := range []string{"blog", "shop2"} { // other apps' scopes stay out
				save(t, s, newRecord(app, scopes.Session, now, `{}`))
			}
			rec := record(s)
			got, pages := listAll(t, s, 100, now)
			if !slices.Equal(pages, []int{100, 100, 50}) {
				t.Errorf("pages of %v records, want 100, 100, 50", pages)
			}
			if !slices.Equal(got, want) {
				t.Errorf("listed %d cfids, not the %d saved in order", len(got), len(want))
			}
			for _, name := range []string{"keys", "scan"} {
				if n := rec.count(name); n > 0 {
					t.Errorf("List sent %s %d times", name, n)
				}
			}
			if n := rec.count("get"); n != 250 {
				t.Errorf("List read %d values, want the 250 listed", n)
			}
		})
	}
}

// indexSize returns the members of the lex and expiry indexes of an app's
// scopes of one kind, over all buckets.
func indexSize(t *testing.T, s *Store, app string, kind scopes.Kind) (lex, exp int64) {
	t.Helper()
	for i := range buckets {
		tag := bucketTag(kindOf(app, kind), buckets[i])
		lex += s.client.ZCard(context.Background(), s.lexKey(tag)).Val()
		exp += s.client.ZCard(context.Background(), s.expKey(tag)).Val()
	}
	return lex, exp
}

// expireMany saves n session scopes of app shop that expired just before
// now and deletes their values, as Redis does when their TTL runs out, and
// returns their cfids, sorted.
func expireMany(t *testing.T, s *Store, n int, now time.Time) []string {
	t.Helper()
	cfids := make([]string, n)
	for i := range cfids {
		rec := newRecord("shop", scopes.Session, now, `{}`)
		rec.Expires = now.Add(-10 * time.Millisecond)
		rec = save(t, s, rec)
		if err := s.client.Del(context.Background(), rawKey(s, rec.Key)).Err(); err != nil {
			t.Fatal(err)
		}
		cfids[i] = rec.CFID
	}
	slices.Sort(cfids)
	waitRegistered(t, s, "shop", scopes.Session)
	return cfids
}

// A member whose key Redis expired is left out and the page fills past it;
// List leaves it in the indexes for DeleteExpired, which removes it and
// reports its scope as expired, once, even when two instances clean
// together.
func TestListSkipsExpiredMembers(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s := MustOpen(t, b.params(t))
			live := saveMany(t, s, 25, now)
			gone := expireMany(t, s, 5, now)
			all, _ := listAll(t, s, 10, now)
			if !slices.Equal(all, live) {
				t.Errorf("listed %d scopes\n%v\nwant the 25 live\n%v", len(all), all, live)
			}
			if lex, exp := indexSize(t, s, "shop", scopes.Session); lex != 30 || exp != 30 {
				t.Errorf("indexes hold %d and %d members after List, want 30: List leaves expired ones to DeleteExpired", lex, exp)
			}

			// Two instances clean at once: each gone scope is reported by one.
			other := MustOpen(t, b.params(t))
			var mu sync.Mutex
			var reported []string
			var wg sync.WaitGroup
			for _, st := range []*Store{s, other} {
				wg.Go(func() {
					keys, err := st.DeleteExpired(ctx, now, 100)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					defer mu.Unlock()
					for _, k := range keys {
						if k.App != "shop" || k.Kind != scopes.Session {
							t.Errorf("DeleteExpired reported %v, not a shop session", k)
						}
						reported = append(reported, k.CFID)
					}
				})
			}
			wg.Wait()
			slices.Sort(reported)
			if !slices.Equal(reported, gone) {
				t.Errorf("DeleteExpired reported\n%v\nwant each gone scope once\n%v", reported, gone)
			}
			if lex, exp := indexSize(t, s, "shop", scopes.Session); lex != 25 || exp != 25 {
				t.Errorf("indexes hold %d and %d members after DeleteExpired, want the 25 live", lex, exp)
			}
			if n, exact, err := s.Count(ctx, "shop", scopes.Session, now); err != nil || n != 25 || !exact {
				t.Errorf("Count = %d, %v, %v; want 25, exact", n, exact, err)
			}
		})
	}
}

// DeleteExpired removes what expired, limit at a time.
func TestDeleteExpiredLimit(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			now := time.Now()
			s := MustOpen(t, b.params(t))
			saveMany(t, s, 10, now)
			expireMany(t, s, 30, now)
			for _, want := range []int{10, 10, 10, 0} {
				if keys, err := s.DeleteExpired(context.Background(), now, 10); err != nil || len(keys) != want {
					t.Fatalf("DeleteExpired = %d, %v; want %d", len(keys), err, want)
				}
			}
			if lex, exp := indexSize(t, s, "shop", scopes.Session); lex != 10 || exp != 10 {
				t.Errorf("indexes hold %d and %d members, want the 10 live", lex, exp)
			}
		})
	}
}

// The cleaner's work follows what expired, not what lives: with 1000 live
// scopes and none expired, a pass reads the registry and one expiry index
// per bucket, in two round trips, and runs no script; with 3 expired, it
// runs 3.
func TestDeleteExpiredCostsWhatExpired(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	p, _ := miniParams(t, "")
	s := MustOpen(t, p)
	saveMany(t, s, 1000, now)
	if err := expireScript.Load(ctx, s.client).Err(); err != nil {
		t.Fatal(err)
	}
	rec := record(s)
	if keys, err := s.DeleteExpired(ctx, now, 1000); err != nil || len(keys) != 0 {
		t.Fatalf("DeleteExpired = %d, %v; want 0", len(keys), err)
	}
	if n, want := rec.count("smembers")+rec.count("zrangebyscore"), 1+len(buckets); n != want || rec.count("evalsha") != 0 {
		t.Errorf("an idle pass sent %v, want %d reads and no script", rec.names, want)
	}
	expireMany(t, s, 3, now)
	rec = record(s)
	if keys, err := s.DeleteExpired(ctx, now, 1000); err != nil || len(keys) != 3 {
		t.Fatalf("DeleteExpired = %d, %v; want 3", len(keys), err)
	}
	if n := rec.count("evalsha"); n != 3 {
		t.Errorf("a pass with 3 expired ran %d scripts, want 3", n)
	}
}

// A scope expired at now but still in its grace time is deleted, value and
// index entries; a live one is left.
func TestDeleteExpiredInGrace(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s := MustOpen(t, b.params(t))
			expired := newRecord("shop", scopes.Session, now, `{}`)
			expired.Expires = now.Add(-10 * time.Millisecond)
			live := newRecord("shop", scopes.Session, now, `{}`)
			save(t, s, expired)
			save(t, s, live)
			if keys, err := s.DeleteExpired(ctx, now, 10); err != nil || len(keys) != 1 || keys[0] != expired.Key {
				t.Fatalf("DeleteExpired = %v, %v; want the expired one", keys, err)
			}
			if n, err := s.client.Exists(ctx, rawKey(s, expired.Key)).Result(); err != nil || n != 0 {
				t.Errorf("EXISTS of the expired key = %d, %v; want 0", n, err)
			}
			if n, err := s.client.Exists(ctx, rawKey(s, live.Key)).Result(); err != nil || n != 1 {
				t.Errorf("EXISTS of the live key = %d, %v; want 1", n, err)
			}
			if lex, exp := indexSize(t, s, "shop", scopes.Session); lex != 1 || exp != 1 {
				t.Errorf("indexes hold %d and %d members, want the live one", lex, exp)
			}
		})
	}
}
