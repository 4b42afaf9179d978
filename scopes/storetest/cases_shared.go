package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// sharedRecord returns a record of a shared scope (application or server)
// under key, expiring as the engine gives each kind: an application scope
// after a day, the server scope after the longest timeout.
func sharedRecord(key scopes.Key, now time.Time, data string) scopes.Record {
	rec := newRecord(key.App, key.Kind, now, data)
	rec.Key = key
	if key.Kind == scopes.Server {
		rec.Expires = now.Add(scopes.ServerScopeTimeout)
	} else {
		rec.Expires = now.Add(24 * time.Hour)
	}
	return rec
}

// testSharedKinds writes, loads and deletes application and server scopes,
// beside a session of the same app: a key's kind keeps each apart, even
// under another kind's cfid.
func testSharedKinds(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	app := sharedRecord(scopes.ApplicationKey("shop"), now, `{"who":"shop/application"}`)
	blog := sharedRecord(scopes.ApplicationKey("blog"), now, `{"who":"blog/application"}`)
	server := sharedRecord(scopes.ServerKey(), now, `{"who":"server"}`)
	session := newRecord("shop", scopes.Session, now, `{"who":"shop/session"}`)
	for _, rec := range []scopes.Record{app, blog, server, session} {
		if res := write(t, s, rec, scopes.ExpectAbsent, now); !res.Written {
			t.Fatalf("create %v = %+v, want written", rec.Key, res)
		}
	}
	for _, rec := range []scopes.Record{app, blog, server, session} {
		mustHold(t, s, rec, now)
	}
	for _, key := range []scopes.Key{
		{App: "shop", Kind: scopes.Session, CFID: scopes.ApplicationCFID},
		{App: "shop", Kind: scopes.Application, CFID: session.CFID},
		{App: "shop", Kind: scopes.Server, CFID: scopes.ServerCFID},
		{App: scopes.ServerApp, Kind: scopes.Application, CFID: scopes.ApplicationCFID},
		{App: scopes.ServerApp, Kind: scopes.Session, CFID: scopes.ServerCFID},
	} {
		if rec, found := mustLoad(t, s, key, now); found {
			t.Errorf("Load %v found %v's record", key, rec.Key)
		}
	}

	// A compare-and-set and an overwrite, as the engine writes them.
	upd := next(app, `{"n":2}`)
	if res := write(t, s, upd, app.Rev, now); !res.Written {
		t.Fatalf("compare-and-set of %v = %+v, want written", app.Key, res)
	}
	res := write(t, s, next(app, `{"lost":true}`), app.Rev, now)
	if res.Written || !res.Found {
		t.Fatalf("stale compare-and-set of %v = written %v, found %v; want the live record back", app.Key, res.Written, res.Found)
	}
	if err := equalRecords(res.Rec, upd); err != nil {
		t.Errorf("stale compare-and-set of %v got %v", app.Key, err)
	}
	srv := next(server, `{"n":2}`)
	if res := write(t, s, srv, scopes.ExpectAny, now); !res.Written {
		t.Fatalf("overwrite of %v = %+v, want written", server.Key, res)
	}
	mustHold(t, s, upd, now)
	mustHold(t, s, srv, now)

	for _, key := range []scopes.Key{app.Key, server.Key} {
		for i, want := range []bool{true, false} {
			if found, err := s.Delete(ctx, key); err != nil || found != want {
				t.Errorf("Delete #%d of %v = %v, %v; want %v, nil", i+1, key, found, err, want)
			}
		}
		if _, found := mustLoad(t, s, key, now); found {
			t.Errorf("%v still loads after its delete", key)
		}
	}
	mustHold(t, s, blog, now)
	mustHold(t, s, session, now)
}

// testSharedKindsList lists the one application scope of an app and the
// one server scope, and no shared scope among the app's sessions.
func testSharedKindsList(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	app := mustSave(t, s, sharedRecord(scopes.ApplicationKey("shop"), now, `{"who":"shop/application"}`))
	server := mustSave(t, s, sharedRecord(scopes.ServerKey(), now, `{"who":"server"}`))
	mustSave(t, s, sharedRecord(scopes.ApplicationKey("shop2"), now, `{}`))
	for range 3 {
		mustSave(t, s, newRecord("shop", scopes.Session, now, `{}`))
	}
	for _, want := range []scopes.Record{app, server} {
		list, err := s.List(ctx, want.App, want.Kind, "", 10, now)
		if err != nil {
			t.Fatalf("List(%s, %s): %v", want.App, want.Kind, err)
		}
		if len(list) != 1 {
			t.Fatalf("List(%s, %s) returned %d records, want 1", want.App, want.Kind, len(list))
		}
		if err := equalRecords(list[0], want); err != nil {
			t.Errorf("List(%s, %s) returned %v", want.App, want.Kind, err)
		}
		if list, err := s.List(ctx, want.App, want.Kind, want.CFID, 10, now); err != nil || len(list) != 0 {
			t.Errorf("List(%s, %s) after its only cfid = %d records, %v; want none", want.App, want.Kind, len(list), err)
		}
	}
	list, err := s.List(ctx, "shop", scopes.Session, "", 10, now)
	if err != nil || len(list) != 3 {
		t.Fatalf("List(shop, session) = %d records, %v; want the 3 sessions", len(list), err)
	}
	if list, err := s.List(ctx, "shop", scopes.Server, "", 10, now); err != nil || len(list) != 0 {
		t.Errorf("List(shop, server) = %d records, %v; want none: the server scope is no app's", len(list), err)
	}
}

// testSharedKindsCount counts an app's application scope apart from its
// sessions, and the server scope apart from every app.
func testSharedKindsCount(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	mustSave(t, s, sharedRecord(scopes.ApplicationKey("shop"), now, `{}`))
	mustSave(t, s, sharedRecord(scopes.ApplicationKey("blog"), now, `{}`))
	mustSave(t, s, sharedRecord(scopes.ServerKey(), now, `{}`))
	for range 3 {
		mustSave(t, s, newRecord("shop", scopes.Session, now, `{}`))
	}
	check := func(when string, want map[countKey]int64) {
		t.Helper()
		for k, n := range want {
			got, exact, err := s.Count(ctx, k.app, k.kind, now)
			// Nothing has expired: an estimate is exact too (see Store.Count).
			if err != nil || got != n {
				t.Errorf("%s: Count(%s, %s) = %d (exact %v), %v; want %d", when, k.app, k.kind, got, exact, err, n)
			}
		}
	}
	want := map[countKey]int64{
		{"shop", scopes.Application}:       1,
		{"blog", scopes.Application}:       1,
		{"shop", scopes.Session}:           3,
		{scopes.ServerApp, scopes.Server}:  1,
		{"shop", scopes.Server}:            0,
		{scopes.ServerApp, scopes.Session}: 0,
	}
	check("after creation", want)
	if found, err := s.Delete(ctx, scopes.ApplicationKey("shop")); err != nil || !found {
		t.Fatalf("Delete shop's application scope = %v, %v", found, err)
	}
	want[countKey{"shop", scopes.Application}] = 0
	check("after a delete", want)
}

// testSharedKindsDeleteExpired reports expired shared scopes by their own
// keys, beside an expired session, and leaves the live ones.
func testSharedKindsDeleteExpired(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	var expired []scopes.Key
	for _, rec := range []scopes.Record{
		sharedRecord(scopes.ApplicationKey("shop"), now, `{}`),
		sharedRecord(scopes.ServerKey(), now, `{}`),
		newRecord("shop", scopes.Session, now, `{}`),
	} {
		rec.Expires = now.Add(-time.Minute)
		mustSave(t, s, rec)
		expired = append(expired, rec.Key)
		if _, found := mustLoad(t, s, rec.Key, now); found {
			t.Errorf("expired %v loads", rec.Key)
		}
	}
	live := mustSave(t, s, sharedRecord(scopes.ApplicationKey("blog"), now, `{"live":true}`))
	keys, err := s.DeleteExpired(ctx, now, 100)
	if err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	sameKeys(t, "DeleteExpired", keys, expired)
	if keys, err := s.DeleteExpired(ctx, now, 100); err != nil || len(keys) != 0 {
		t.Errorf("DeleteExpired again = %v, %v; want none", keys, err)
	}
	mustHold(t, s, live, now)
}
