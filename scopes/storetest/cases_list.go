package storetest

import (
	"context"
	"slices"
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
	var live []scopes.Key
	for i := range 25 {
		// Both kinds and two apps: the limit counts across all of them.
		rec := newRecord([]string{"shop", "blog"}[i%2], scopes.Kinds[i%3%2], now, `{}`)
		rec.Expires = now.Add(-time.Duration(i+1) * time.Minute)
		mustSave(t, s, rec)
	}
	for i := range 5 {
		rec := newRecord("shop", scopes.Kinds[i%2], now, `{}`)
		rec.Expires = now.Add(time.Millisecond)
		mustSave(t, s, rec)
		live = append(live, rec.Key)
	}
	for _, want := range []int{10, 10, 5, 0} {
		n, err := s.DeleteExpired(ctx, now, 10)
		if err != nil || n != want {
			t.Fatalf("DeleteExpired = %d, %v; want %d", n, err, want)
		}
	}
	for _, key := range live {
		if _, found := mustLoad(t, s, key, now); !found {
			t.Errorf("unexpired %v deleted", key)
		}
	}
	if n, err := s.DeleteExpired(ctx, now.Add(time.Millisecond), 0); err != nil || n != 0 {
		t.Errorf("DeleteExpired with limit 0 = %d, %v; want 0", n, err)
	}
	if n, err := s.DeleteExpired(ctx, now.Add(time.Millisecond), 100); err != nil || n != len(live) {
		t.Errorf("DeleteExpired once the rest expired = %d, %v; want %d", n, err, len(live))
	}
}
