package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

func testSaveLoadRoundTrip(t *testing.T, s scopes.Store) {
	now := time.Now()
	for _, kind := range scopes.Kinds {
		rec := scopes.Record{
			Key:     scopes.Key{App: "shop", Kind: kind, CFID: scopes.NewCFID()},
			CFToken: "8f1c2b7e-token",
			// Sub-millisecond parts are dropped by the stored layouts.
			TimeCreated: now.Add(-36*time.Hour - 123456*time.Nanosecond),
			LastVisit:   now.Add(-time.Minute - 987654*time.Nanosecond),
			HitCount:    7,
			Expires:     now.Add(90 * 24 * time.Hour),
			Version:     42,
			Rev:         scopes.NewRev(),
			Data:        []byte(`{"cart":[1,2,3],"name":"Zoë \"Z\"","nested":{"a":null,"b":true,"n":1.5}}`),
		}
		mustSave(t, s, rec)
		got, found := mustLoad(t, s, rec.Key, now)
		if !found {
			t.Fatalf("%s: saved record not found", kind)
		}
		if err := equalRecords(got, rec); err != nil {
			t.Errorf("%s: loaded %v", kind, err)
		}
	}
}

func testEmptyData(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, "")
	rec.Data = nil
	mustSave(t, s, rec)
	got, found := mustLoad(t, s, rec.Key, now)
	if !found {
		t.Fatal("saved record not found")
	}
	if string(got.Data) != "{}" {
		t.Errorf("data %q, want {}: Data is never nil once loaded", got.Data)
	}
}

func testSaveCopiesData(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"a":1}`)
	mustSave(t, s, rec)
	rec.Data[5] = '9' // the caller reuses its buffer after the save
	got, _ := mustLoad(t, s, rec.Key, now)
	if string(got.Data) != `{"a":1}` {
		t.Errorf("data %s after the caller changed its bytes, want {\"a\":1}", got.Data)
	}
}

func testSaveOverwrites(t *testing.T, s scopes.Store) {
	now := time.Now()
	rec := newRecord("shop", scopes.Client, now, `{"v":1}`)
	mustSave(t, s, rec)
	rec.Version, rec.HitCount, rec.Data, rec.Rev = 2, 5, []byte(`{"v":2}`), scopes.NewRev()
	rec.Expires = now.Add(2 * time.Hour)
	mustSave(t, s, rec)
	got, found := mustLoad(t, s, rec.Key, now)
	if !found {
		t.Fatal("record not found")
	}
	if err := equalRecords(got, rec); err != nil {
		t.Errorf("after the second save: %v", err)
	}
}

func testLoadMissing(t *testing.T, s scopes.Store) {
	for _, kind := range scopes.Kinds {
		rec, found, err := s.Load(context.Background(), scopes.Key{App: "shop", Kind: kind, CFID: scopes.NewCFID()}, time.Now())
		if err != nil || found {
			t.Errorf("%s: Load of a missing key = found %v, err %v; want false, nil", kind, found, err)
		}
		if rec.Version != 0 || rec.Data != nil {
			t.Errorf("%s: Load of a missing key returned a record: %+v", kind, rec)
		}
	}
}

func testExpired(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{}`)
	rec.Expires = now
	mustSave(t, s, rec)

	if _, found := mustLoad(t, s, rec.Key, now.Add(-time.Millisecond)); !found {
		t.Error("record not found a millisecond before it expires")
	}
	for _, at := range []time.Time{now, now.Add(time.Millisecond), now.Add(24 * time.Hour)} {
		if _, found := mustLoad(t, s, rec.Key, at); found {
			t.Errorf("record expiring at %v returned by Load at %v", rec.Expires, at)
		}
		list, err := s.List(ctx, "shop", scopes.Session, "", 10, at)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(list) != 0 {
			t.Errorf("List at %v returned %d expired records", at, len(list))
		}
	}
	keys, err := s.DeleteExpired(ctx, now, 10)
	if err != nil || len(keys) != 1 || keys[0] != rec.Key {
		t.Errorf("DeleteExpired = %v, %v; want [%v], nil", keys, err, rec.Key)
	}
	if _, found := mustLoad(t, s, rec.Key, now.Add(-time.Minute)); found {
		t.Error("record still there after DeleteExpired")
	}
}

func testKeysIsolated(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	cfid := scopes.NewCFID()
	var keys []scopes.Key
	for _, app := range []string{"shop", "blog"} {
		for _, kind := range scopes.Kinds {
			key := scopes.Key{App: app, Kind: kind, CFID: cfid}
			keys = append(keys, key)
			rec := newRecord(app, kind, now, `{"who":"`+app+`/`+string(kind)+`"}`)
			rec.Key = key
			mustSave(t, s, rec)
		}
	}
	check := func(deleted int) {
		t.Helper()
		for i, key := range keys {
			got, found := mustLoad(t, s, key, now)
			if i <= deleted {
				if found {
					t.Errorf("%v found after its delete", key)
				}
				continue
			}
			want := `{"who":"` + key.App + `/` + string(key.Kind) + `"}`
			if !found || string(got.Data) != want {
				t.Errorf("%v: found %v, data %s; want %s", key, found, got.Data, want)
			}
		}
	}
	check(-1)
	for i, key := range keys {
		found, err := s.Delete(ctx, key)
		if err != nil || !found {
			t.Fatalf("Delete %v = %v, %v", key, found, err)
		}
		check(i)
	}
}

// testInvalidKind refuses a kind that no storage keeps: request is a
// scope of Lucee's that lives for one request.
func testInvalidKind(t *testing.T, s scopes.Store) {
	ctx := context.Background()
	now := time.Now()
	const kind scopes.Kind = "request"
	rec := newRecord("shop", kind, now, `{}`)
	if _, err := s.Write(ctx, rec, scopes.ExpectAny, now); err == nil {
		t.Errorf("Write of kind %s succeeded", kind)
	}
	if _, _, err := s.Load(ctx, rec.Key, now); err == nil {
		t.Errorf("Load of kind %s succeeded", kind)
	}
	if _, _, err := s.Count(ctx, "shop", kind, now); err == nil {
		t.Errorf("Count of kind %s succeeded", kind)
	}
}

func testPing(t *testing.T, s scopes.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
