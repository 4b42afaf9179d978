package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// TestFloorRedis checks that the floor servers store what they are given
// in Redis, through scopestore's storage, so that what they measure is real
// writes: one saves, another (a second instance) loads it.
func TestFloorRedis(t *testing.T) {
	url, prefix := conntest.RedisURL(t), conntest.RedisPrefix(t)
	ctx := context.Background()
	for _, local := range []bool{false, true} {
		a := openFloor(t, url, prefix, local)
		b := openFloor(t, url, prefix, local)
		cfid := scopes.NewCFID()
		if err := a.save(ctx, "shop", cfid, []byte(`{"data":{"n":1}}`)); err != nil {
			t.Fatalf("local %v: save: %v", local, err)
		}
		got, found, err := b.load(ctx, "shop", cfid)
		if err != nil || !found || !bytes.Equal(got, []byte(`{"data":{"n":1}}`)) {
			t.Fatalf("local %v: the other instance loads %s, %v, %v; want what the first saved", local, got, found, err)
		}
		if _, found, err := b.load(ctx, "shop", scopes.NewCFID()); err != nil || found {
			t.Errorf("local %v: an unknown cfid is found %v (%v)", local, found, err)
		}
	}
}

// TestFloorRedisComparesAndSets checks that a floor save is the engine's
// compare-and-set on the rev it read: a save from a stale read is refused.
func TestFloorRedisComparesAndSets(t *testing.T) {
	url, prefix := conntest.RedisURL(t), conntest.RedisPrefix(t)
	ctx := context.Background()
	a := openFloor(t, url, prefix, false)
	b := openFloor(t, url, prefix, false)
	cfid := scopes.NewCFID()
	if err := a.save(ctx, "shop", cfid, []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.load(ctx, "shop", cfid); err != nil {
		t.Fatal(err)
	}
	if err := a.save(ctx, "shop", cfid, []byte(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.save(ctx, "shop", cfid, []byte(`{"n":3}`)); err == nil {
		t.Fatal("a save from a stale read was applied")
	}
	if got, _, _ := b.store.Load(ctx, b.key("shop", cfid), time.Now()); string(got.Data) != `{"n":2}` {
		t.Fatalf("stored %s after the refused save, want {\"n\":2}", got.Data)
	}
}

// TestFloorRedisLocalDropsCopies checks that floor-redis-local, like
// scopestore with cluster = false, drops its copy of a scope that another
// instance wrote.
func TestFloorRedisLocalDropsCopies(t *testing.T) {
	url, prefix := conntest.RedisURL(t), conntest.RedisPrefix(t)
	ctx := context.Background()
	a := openFloor(t, url, prefix, true)
	b := openFloor(t, url, prefix, true)
	cfid := scopes.NewCFID()
	if err := a.save(ctx, "shop", cfid, []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	// b reads before it writes, as the bench's cycles do.
	waitFor(t, b, cfid, `{"n":1}`)
	if err := b.save(ctx, "shop", cfid, []byte(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, a, cfid, `{"n":2}`)
	// Its copy gone, a's next save replaces, and b drops its own copy.
	if err := a.save(ctx, "shop", cfid, []byte(`{"n":3}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, cfid, `{"n":3}`)
}

// waitFor waits until f loads want under cfid and keeps it as its record,
// for up to 5 seconds: the announcements arrive over pub/sub, and a record
// loaded while one arrives is not kept.
func waitFor(t *testing.T, f *floorBare, cfid, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _, err := f.load(context.Background(), "shop", cfid)
		if err != nil {
			t.Fatal(err)
		}
		if _, kept, _ := f.record(f.key("shop", cfid)); kept && string(got) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("an instance still answers %s 5 s after another one wrote %s", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func openFloor(t *testing.T, url, prefix string, local bool) *floorBare {
	t.Helper()
	f, err := newFloorBare(url, prefix, local)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.close() })
	return f
}
