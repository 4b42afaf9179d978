package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// countKey is an app's scopes of one kind, as Count counts them.
type countKey struct {
	app  string
	kind scopes.Kind
}

func testCount(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	// shop2 shares shop's prefix, and each app has both kinds or neither:
	// a count must see exactly its own app and kind.
	live := map[countKey]int64{
		{"shop", scopes.Session}:  7,
		{"shop", scopes.Client}:   3,
		{"blog", scopes.Session}:  2,
		{"shop2", scopes.Session}: 1,
		{"blog", scopes.Client}:   0,
	}
	// created is how many live records have been saved so far.
	created := map[countKey]int64{}
	check := func(when string, at time.Time, afterExpiry bool) {
		t.Helper()
		for k, want := range created {
			n, exact, err := s.Count(ctx, k.app, k.kind, at)
			switch {
			case err != nil:
				t.Fatalf("%s: Count(%s, %s): %v", when, k.app, k.kind, err)
			case exact && n != want:
				t.Errorf("%s: Count(%s, %s) = %d, exact; want %d", when, k.app, k.kind, n, want)
			case !exact && !afterExpiry && n != want:
				t.Errorf("%s: Count(%s, %s) = %d, an estimate; want %d: with nothing expired an estimate is exact", when, k.app, k.kind, n, want)
			case !exact && n < want:
				t.Errorf("%s: Count(%s, %s) = %d, an estimate; want at least the %d live", when, k.app, k.kind, n, want)
			}
		}
	}

	for k := range live {
		created[k] = 0
	}
	check("empty store", now, false)
	var shopSessions []scopes.Key
	for k, n := range live {
		for range n {
			rec := newRecord(k.app, k.kind, now, `{}`)
			mustSave(t, s, rec)
			if k == (countKey{"shop", scopes.Session}) {
				shopSessions = append(shopSessions, rec.Key)
			}
		}
		created[k] = n
	}
	check("after creation", now, false)

	// Saving a live record again is no new instance.
	rec, found := mustLoad(t, s, shopSessions[0], now)
	if !found {
		t.Fatalf("%v not found", shopSessions[0])
	}
	rec.Version++
	mustSave(t, s, rec)
	check("after a save of an existing record", now, false)

	// Records expired at now, of an app and kind that has live ones and of
	// one that has none; one expires exactly at now, which is expired.
	for i, exp := range []time.Duration{-time.Hour, -time.Second, 0} {
		for _, k := range []countKey{{"shop", scopes.Session}, {"blog", scopes.Client}} {
			rec := newRecord(k.app, k.kind, now, `{}`)
			rec.Expires = now.Add(exp)
			mustSave(t, s, rec)
			if i == 2 && k.app == "shop" {
				if n, exact, err := s.Count(ctx, "shop", scopes.Session, now.Add(-time.Millisecond)); err != nil || (exact && n != created[k]+1) {
					t.Errorf("Count a millisecond before a record expires = %d, %v, %v; want %d", n, exact, err, created[k]+1)
				}
			}
		}
	}
	check("with expired records", now, true)

	found, err := s.Delete(ctx, shopSessions[1])
	if err != nil || !found {
		t.Fatalf("Delete %v = %v, %v", shopSessions[1], found, err)
	}
	created[countKey{"shop", scopes.Session}]--
	check("after a delete", now, true)

	// Once the cleaner removed what expired at now, an estimate is exact again.
	for {
		keys, err := s.DeleteExpired(ctx, now, 1000)
		if err != nil {
			t.Fatalf("DeleteExpired: %v", err)
		}
		if len(keys) < 1000 {
			break
		}
	}
	check("after DeleteExpired", now, false)

	// Two hours on, every record has expired.
	for k := range created {
		created[k] = 0
	}
	check("two hours later", now.Add(2*time.Hour), true)
}
