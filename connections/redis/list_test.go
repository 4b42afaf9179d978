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
		rec := newRecord("shop", scopes.Session, now, `{}`)
		if err := s.Save(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		cfids[i] = rec.CFID
	}
	slices.Sort(cfids)
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
				if err := s.Save(context.Background(), newRecord(app, scopes.Session, now, `{}`)); err != nil {
					t.Fatal(err)
				}
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

// A member whose key is gone (expired, or deleted behind the store's back)
// is left out and the page fills past it; List leaves it in the index for
// DeleteExpired, which prunes it and reports its scope as expired, once,
// even when two instances sweep together.
func TestListSkipsStaleMembers(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s := MustOpen(t, b.params(t))
			cfids := saveMany(t, s, 30, now)
			gone := []string{cfids[0], cfids[1], cfids[2], cfids[10], cfids[29]}
			for _, cfid := range gone {
				if err := s.client.Del(ctx, rawKey(s, scopes.Key{App: "shop", Kind: scopes.Session, CFID: cfid})).Err(); err != nil {
					t.Fatal(err)
				}
			}
			page, err := s.List(ctx, "shop", scopes.Session, "", 10, now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range page {
				got = append(got, r.CFID)
			}
			want := slices.Concat(cfids[3:10], cfids[11:14])
			if !slices.Equal(got, want) {
				t.Errorf("first page\n%v\nwant\n%v", got, want)
			}
			all, _ := listAll(t, s, 100, now)
			if len(all) != 25 {
				t.Errorf("listed %d scopes, want 25", len(all))
			}
			if n := s.client.ZCard(ctx, s.indexKey("shop:session")).Val(); n != 30 {
				t.Errorf("index has %d members after List, want 30: List leaves stale ones to DeleteExpired", n)
			}

			// Two instances sweep at once: each gone scope is reported by one.
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
			slices.Sort(gone)
			if !slices.Equal(reported, gone) {
				t.Errorf("DeleteExpired reported\n%v\nwant each gone scope once\n%v", reported, gone)
			}
			if n := s.client.ZCard(ctx, s.indexKey("shop:session")).Val(); n != 25 {
				t.Errorf("index has %d members after DeleteExpired, want the 25 live", n)
			}
		})
	}
}

// DeleteExpired prunes the members whose keys are gone, limit at a time.
func TestDeleteExpiredPrunesIndex(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s := MustOpen(t, b.params(t))
			cfids := saveMany(t, s, 40, now)
			for _, cfid := range cfids[:30] {
				if err := s.client.Del(ctx, rawKey(s, scopes.Key{App: "shop", Kind: scopes.Session, CFID: cfid})).Err(); err != nil {
					t.Fatal(err)
				}
			}
			for _, want := range []int{10, 10, 10, 0} {
				if keys, err := s.DeleteExpired(ctx, now, 10); err != nil || len(keys) != want {
					t.Fatalf("DeleteExpired = %d, %v; want %d", len(keys), err, want)
				}
			}
			if n := s.client.ZCard(ctx, s.indexKey("shop:session")).Val(); n != 10 {
				t.Errorf("index has %d members, want the 10 live", n)
			}
		})
	}
}

// With few stale members among many live ones, each call examines a bounded
// number of members and the cursor carries the walk on: the stale one is
// found within the calls that a whole pass takes.
func TestDeleteExpiredIsBounded(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	p, _ := miniParams(t, "")
	s := MustOpen(t, p)
	cfids := saveMany(t, s, 1000, now)
	last := cfids[len(cfids)-1]
	if err := s.client.Del(ctx, rawKey(s, scopes.Key{App: "shop", Kind: scopes.Session, CFID: last})).Err(); err != nil {
		t.Fatal(err)
	}
	// Loaded first, so that each EVALSHA counted is one member examined.
	if err := expireScript.Load(ctx, s.client).Err(); err != nil {
		t.Fatal(err)
	}
	rec := record(s)
	const limit = 10
	calls, total := 0, 0
	for total == 0 {
		calls++
		if calls > 1000/(sweepBudget*limit)+1 {
			t.Fatalf("no stale member found after %d calls", calls-1)
		}
		before := rec.count("evalsha")
		keys, err := s.DeleteExpired(ctx, now, limit)
		if err != nil {
			t.Fatal(err)
		}
		if examined := rec.count("evalsha") - before; examined > sweepBudget*limit {
			t.Errorf("call %d examined %d members, over %d", calls, examined, sweepBudget*limit)
		}
		total += len(keys)
	}
	if total != 1 {
		t.Errorf("DeleteExpired removed %d, want 1", total)
	}
}

// A scope expired at now but still in its grace time is deleted, key and
// member; a live one is left.
func TestDeleteExpiredInGrace(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			s := MustOpen(t, b.params(t))
			expired := newRecord("shop", scopes.Session, now, `{}`)
			expired.Expires = now.Add(-10 * time.Millisecond)
			live := newRecord("shop", scopes.Session, now, `{}`)
			for _, r := range []scopes.Record{expired, live} {
				if err := s.Save(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if keys, err := s.DeleteExpired(ctx, now, 10); err != nil || len(keys) != 1 {
				t.Fatalf("DeleteExpired = %d, %v; want 1", len(keys), err)
			}
			// One EXISTS per key: they have two slots.
			if n, err := s.client.Exists(ctx, rawKey(s, expired.Key)).Result(); err != nil || n != 0 {
				t.Errorf("EXISTS of the expired key = %d, %v; want 0", n, err)
			}
			if n, err := s.client.Exists(ctx, rawKey(s, live.Key)).Result(); err != nil || n != 1 {
				t.Errorf("EXISTS of the live key = %d, %v; want 1", n, err)
			}
			if members := s.client.ZRange(ctx, s.indexKey("shop:session"), 0, -1).Val(); !slices.Equal(members, []string{live.CFID}) {
				t.Errorf("index %v, want the live one", members)
			}
		})
	}
}
