package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

func testList(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	var want []string
	for range 25 {
		rec := newRecord("shop", scopes.Session, now, `{"listed":true}`)
		mustSave(t, s, rec)
		want = append(want, rec.CFID)
	}
	slices.Sort(want)
	// Records that List must leave out: expired ones of the same app and
	// kind, and live ones of another kind or another app.
	for range 5 {
		rec := newRecord("shop", scopes.Session, now, `{}`)
		rec.Expires = now.Add(-time.Second)
		mustSave(t, s, rec)
		mustSave(t, s, newRecord("shop", scopes.Client, now, `{}`))
		mustSave(t, s, newRecord("blog", scopes.Session, now, `{}`))
		mustSave(t, s, newRecord("shop2", scopes.Session, now, `{}`))
	}

	var got []string
	after := ""
	for _, size := range []int{10, 10, 5, 0} {
		page, err := s.List(ctx, "shop", scopes.Session, after, 10, now)
		if err != nil {
			t.Fatalf("List after %q: %v", after, err)
		}
		if len(page) != size {
			t.Fatalf("List after %q returned %d records, want %d", after, len(page), size)
		}
		for _, rec := range page {
			if rec.App != "shop" || rec.Kind != scopes.Session || string(rec.Data) != `{"listed":true}` {
				t.Errorf("List returned %v with data %s", rec.Key, rec.Data)
			}
			got = append(got, rec.CFID)
		}
		if len(page) > 0 {
			after = page[len(page)-1].CFID
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages listed cfids\n%v\nwant, in order,\n%v", got, want)
	}

	// after need not be a stored cfid, and a limit larger than the rest is fine.
	page, err := s.List(ctx, "shop", scopes.Session, want[12][:8], 100, now)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(page) == 0 || page[0].CFID <= want[12][:8] {
		t.Errorf("List after a prefix returned %d records starting at %v", len(page), page)
	}
}

func testListLimitZero(t *testing.T, s scopes.Store) {
	now := time.Now()
	mustSave(t, s, newRecord("shop", scopes.Session, now, `{}`))
	page, err := s.List(context.Background(), "shop", scopes.Session, "", 0, now)
	if err != nil || len(page) != 0 {
		t.Errorf("List with limit 0 = %d records, %v; want none", len(page), err)
	}
}

func testDeleteExpired(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	var live, expired []scopes.Key
	for i := range 25 {
		// Both kinds and two apps: the limit counts across all of them.
		rec := newRecord([]string{"shop", "blog"}[i%2], scopes.Kinds[i%3%2], now, `{}`)
		rec.Expires = now.Add(-time.Duration(i+1) * time.Minute)
		mustSave(t, s, rec)
		expired = append(expired, rec.Key)
	}
	for i := range 5 {
		rec := newRecord("shop", scopes.Kinds[i%2], now, `{}`)
		rec.Expires = now.Add(time.Millisecond)
		mustSave(t, s, rec)
		live = append(live, rec.Key)
	}
	// The keys returned are exactly the expired scopes, each once.
	var deleted []scopes.Key
	for _, want := range []int{10, 10, 5, 0} {
		keys, err := s.DeleteExpired(ctx, now, 10)
		if err != nil || len(keys) != want {
			t.Fatalf("DeleteExpired = %d keys, %v; want %d", len(keys), err, want)
		}
		deleted = append(deleted, keys...)
	}
	sameKeys(t, "DeleteExpired", deleted, expired)
	for _, key := range live {
		if _, found := mustLoad(t, s, key, now); !found {
			t.Errorf("unexpired %v deleted", key)
		}
	}
	if keys, err := s.DeleteExpired(ctx, now.Add(time.Millisecond), 0); err != nil || len(keys) != 0 {
		t.Errorf("DeleteExpired with limit 0 = %v, %v; want none", keys, err)
	}
	keys, err := s.DeleteExpired(ctx, now.Add(time.Millisecond), 100)
	if err != nil {
		t.Fatalf("DeleteExpired once the rest expired: %v", err)
	}
	sameKeys(t, "DeleteExpired once the rest expired", keys, live)
}

// sameKeys checks that got holds the keys of want, each once, in any order.
func sameKeys(t *testing.T, what string, got, want []scopes.Key) {
	t.Helper()
	cmp := func(a, b scopes.Key) int {
		return strings.Compare(a.App+"\x00"+string(a.Kind)+"\x00"+a.CFID, b.App+"\x00"+string(b.Kind)+"\x00"+b.CFID)
	}
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, cmp)
	slices.SortFunc(want, cmp)
	if !slices.Equal(got, want) {
		t.Errorf("%s returned the keys\n%v\nwant\n%v", what, got, want)
	}
}
