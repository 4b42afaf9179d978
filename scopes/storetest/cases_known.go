package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// testLoadKnown checks a scopes.KnownLoader: the caller's copy of the data
// is shared when the stored data is the same bytes, and the stored data is
// read as it is when the copy is stale. It is skipped for a store that
// is no KnownLoader.
func testLoadKnown(t *testing.T, s scopes.Store) {
	kl, ok := s.(scopes.KnownLoader)
	if !ok {
		t.Skip("not a scopes.KnownLoader")
	}
	ctx, now := context.Background(), time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"n":1,"tags":["a","b"]}`)
	mustSave(t, s, rec)

	same := []byte(`{"n":1,"tags":["a","b"]}`)
	got, found, err := kl.LoadKnown(ctx, rec.Key, now, same)
	if err != nil || !found {
		t.Fatalf("LoadKnown with the stored bytes = %v, %v; want found", found, err)
	}
	if err := equalRecords(got, rec); err != nil {
		t.Errorf("LoadKnown with the stored bytes: %v", err)
	}
	if &got.Data[0] != &same[0] {
		t.Errorf("LoadKnown with the stored bytes returned a copy; want the caller's bytes, shared")
	}

	stale := []byte(`{"n":0}`)
	got, found, err = kl.LoadKnown(ctx, rec.Key, now, stale)
	if err != nil || !found {
		t.Fatalf("LoadKnown with a stale copy = %v, %v; want found", found, err)
	}
	if string(got.Data) != string(rec.Data) {
		t.Errorf("LoadKnown with a stale copy: data %s, want the stored %s", got.Data, rec.Data)
	}
	if _, found, err := kl.LoadKnown(ctx, newRecord("shop", scopes.Session, now, "").Key, now, same); err != nil || found {
		t.Errorf("LoadKnown of a missing key = %v, %v; want not found", found, err)
	}
}
