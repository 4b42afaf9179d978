package memcached

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/scopes/storetest"
)

// MustOpen opens a store over a connection with params and closes it when
// the test ends.
func MustOpen(tb testing.TB, params map[string]string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), scopes.Connection{Name: "mc", Kind: "cache", Type: "memcached", Storage: true, Params: params})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// testPrefix returns a key prefix that no other test uses, so that tests
// may share a server named by SCOPESTORE_TEST_MEMCACHED.
func testPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "scopestore_t_" + hex.EncodeToString(b[:]) + ":"
}

// newRecord returns a record of a new cfid expiring an hour after now.
func newRecord(app string, kind scopes.Kind, now time.Time, data string) scopes.Record {
	return scopes.Record{
		Key:     scopes.Key{App: app, Kind: kind, CFID: scopes.NewCFID()},
		CFToken: "0", TimeCreated: now, LastVisit: now, Expires: now.Add(time.Hour),
		Version: 1, Rev: scopes.NewRev(), Data: json.RawMessage(data),
	}
}

func mustWrite(t *testing.T, s *Store, rec scopes.Record, expect string, now time.Time) scopes.WriteResult {
	t.Helper()
	res, err := s.Write(context.Background(), rec, expect, now)
	if err != nil {
		t.Fatalf("Write %v expecting %q: %v", rec.Key, expect, err)
	}
	return res
}

// The conformance suite, on a real memcached, but for what memcached cannot
// do: enumerate its keys.
func TestStore(t *testing.T) {
	addr := conntest.MemcachedAddr(t)
	const noList = "memcached cannot enumerate its keys, so List and Count answer not_supported (TestListCountUnsupported)"
	const noExpired = "memcached drops expired items by itself and cannot tell which: DeleteExpired has nothing to report"
	storetest.RunExcept(t, func(t *testing.T) scopes.Store {
		return MustOpen(t, map[string]string{"servers": addr, "prefix": testPrefix()})
	}, map[string]string{
		"List":                     noList,
		"ListLimitZero":            noList,
		"Count":                    noList,
		"SharedKindsList":          noList,
		"SharedKindsCount":         noList,
		"DeleteExpiredLimit":       noExpired,
		"SharedKindsDeleteExpired": noExpired,
		"Expired":                  "it lists and expects DeleteExpired to report the expired scope, which memcached cannot; TestExpiry checks the rest",
	})
}

// A record is found until its Expires at the caller's now, and memcached
// drops the item about expiryGrace after it.
func TestExpiry(t *testing.T) {
	s := MustOpen(t, map[string]string{"servers": conntest.MemcachedAddr(t), "prefix": testPrefix()})
	ctx := context.Background()
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{}`)
	rec.Expires = now.Add(time.Second)
	mustWrite(t, s, rec, scopes.ExpectAbsent, now)
	if _, found, err := s.Load(ctx, rec.Key, now.Add(999*time.Millisecond)); err != nil || !found {
		t.Errorf("Load just before Expires = found %v, %v; want found", found, err)
	}
	for _, at := range []time.Time{rec.Expires, rec.Expires.Add(time.Hour)} {
		if _, found, err := s.Load(ctx, rec.Key, at); err != nil || found {
			t.Errorf("Load at %v = found %v, %v; want not found", at.Sub(now), found, err)
		}
	}
	if testing.Short() {
		return
	}
	// memcached counts whole seconds: the item is gone within
	// Expires + expiryGrace + 1s.
	time.Sleep(time.Until(rec.Expires.Add(expiryGrace + 1100*time.Millisecond)))
	if _, err := s.client.Get(s.prefix + "shop:session:" + rec.CFID); !errors.Is(err, memcache.ErrCacheMiss) {
		t.Errorf("item still in memcached 2s after its record expired: %v", err)
	}
}

// memcached reads a relative expiry over 30 days as a Unix time (in 1970,
// so at once): a 60-day client scope must be sent as an absolute time.
func TestExpiry60Days(t *testing.T) {
	s := MustOpen(t, map[string]string{"servers": conntest.MemcachedAddr(t), "prefix": testPrefix()})
	ctx := context.Background()
	now := time.Now()
	rec := newRecord("shop", scopes.Client, now, `{"n":1}`)
	rec.Expires = now.Add(60 * 24 * time.Hour)
	mustWrite(t, s, rec, scopes.ExpectAbsent, now)
	got, found, err := s.Load(ctx, rec.Key, now)
	if err != nil || !found {
		t.Fatalf("Load of a 60-day scope = found %v, %v; want found", found, err)
	}
	if got.Expires.UnixMilli() != rec.Expires.UnixMilli() {
		t.Errorf("expires %v, want %v", got.Expires, rec.Expires)
	}
	if _, found, _ := s.Load(ctx, rec.Key, now.Add(61*24*time.Hour)); found {
		t.Error("the 60-day scope loads 61 days on")
	}
}

func TestExpiration(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	const month = 30 * 24 * 3600
	for _, tc := range []struct {
		name    string
		expires time.Time
		want    int32
	}{
		{"past", now.Add(-time.Hour), 1},
		{"now", now, 1},
		{"half a second", now.Add(500 * time.Millisecond), 2},
		{"an hour", now.Add(time.Hour), 3601},
		{"30 days less the grace", now.Add(month*time.Second - expiryGrace), month},
		{"30 days", now.Add(month * time.Second), 1_800_000_000 + month + 1},
		{"60 days", now.Add(60 * 24 * time.Hour), 1_800_000_000 + 2*month + 1},
		{"after 2038", now.Add(100 * 365 * 24 * time.Hour), 1<<31 - 1},
	} {
		if got := expiration(tc.expires, now); got != tc.want {
			t.Errorf("%s: expiration = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// With two servers, keys are spread over both by hash, each scope on one.
func TestTwoServers(t *testing.T) {
	a, b := conntest.StartMemcached(t), conntest.StartMemcached(t)
	s := MustOpen(t, map[string]string{"servers": a.Addr + "," + b.Addr, "prefix": testPrefix()})
	ctx := context.Background()
	now := time.Now()
	direct := []*memcache.Client{memcache.New(a.Addr), memcache.New(b.Addr)}
	var on [2]int
	for i := range 100 {
		rec := newRecord("shop", scopes.Kinds[i%2], now, `{"i":1}`)
		mustWrite(t, s, rec, scopes.ExpectAbsent, now)
		if _, found, err := s.Load(ctx, rec.Key, now); err != nil || !found {
			t.Fatalf("Load %v = %v, %v", rec.Key, found, err)
		}
		k, _ := s.keyOf(rec.Key)
		held := 0
		for j, c := range direct {
			if _, err := c.Get(k); err == nil {
				on[j]++
				held++
			}
		}
		if held != 1 {
			t.Errorf("%v is on %d servers, want 1", rec.Key, held)
		}
	}
	if on[0] == 0 || on[1] == 0 {
		t.Errorf("scopes per server %v: want them spread over both", on)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	b.Stop()
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping succeeded with one of two servers down")
	}
}

func TestVerify(t *testing.T) {
	m := conntest.StartMemcached(t)
	s := MustOpen(t, map[string]string{"servers": m.Addr, "prefix": testPrefix()})
	want := []string{"connect", "write with TTL", "read", "compare-and-set", "delete"}
	hs := s.Verify(context.Background())
	if len(hs) != len(want) {
		t.Fatalf("Verify = %v, want the steps %v", hs, want)
	}
	for i, h := range hs {
		if h.Name != want[i] || h.Err != nil {
			t.Errorf("step %d = %s, %v; want %s, passed", i, h.Name, h.Err, want[i])
		}
	}
	m.Stop()
	hs = s.Verify(context.Background())
	if hs[0].Err == nil {
		t.Error("connect passed with the server down")
	}
	for _, h := range hs[1:] {
		if h.Err == nil || !strings.Contains(h.Err.Error(), "skipped because connect failed") {
			t.Errorf("%s with the server down: %v; want skipped because connect failed", h.Name, h.Err)
		}
	}
}

func TestListCountUnsupported(t *testing.T) {
	s := MustOpen(t, map[string]string{"servers": "127.0.0.1:1"})
	ctx := context.Background()
	_, err := s.List(ctx, "shop", scopes.Session, "", 10, time.Now())
	if scopes.ErrorCode(err) != scopes.EUnsupported || !strings.Contains(scopes.ErrorMessage(err), "memcached cannot list") {
		t.Errorf("List = %v; want not_supported saying memcached cannot list", err)
	}
	_, _, err = s.Count(ctx, "shop", scopes.Client, time.Now())
	if scopes.ErrorCode(err) != scopes.EUnsupported || !strings.Contains(scopes.ErrorMessage(err), "counted") {
		t.Errorf("Count = %v; want not_supported saying it cannot be counted", err)
	}
	if keys, err := s.DeleteExpired(ctx, time.Now(), 10); keys != nil || err != nil {
		t.Errorf("DeleteExpired = %v, %v; want nil, nil", keys, err)
	}
}

func TestOpenParams(t *testing.T) {
	for _, tc := range []struct {
		params map[string]string
		bad    string
	}{
		{map[string]string{"servers": ""}, "names no server"},
		{map[string]string{"servers": "127.0.0.1:99999"}, "not a host:port"},
		{map[string]string{"servers": "127.0.0.1:11211", "prefix": "has space"}, "prefix"},
		{map[string]string{"servers": "127.0.0.1:11211", "timeout": "soon"}, "timeout"},
		{map[string]string{"servers": "127.0.0.1:11211", "pool_size": "0"}, "pool_size"},
	} {
		_, err := Open(context.Background(), scopes.Connection{Name: "mc", Type: "memcached", Params: tc.params})
		if scopes.ErrorCode(err) != scopes.EInvalid || !strings.Contains(err.Error(), tc.bad) {
			t.Errorf("Open %v = %v; want invalid, naming %q", tc.params, err, tc.bad)
		}
	}
	// A server that is down does not fail Open; a missing port is memcached's.
	s := MustOpen(t, map[string]string{"servers": "127.0.0.1:1, 127.0.0.1", "timeout": "2s", "pool_size": "4"})
	if got := strings.Join(s.addrs, ","); got != "127.0.0.1:1,127.0.0.1:11211" {
		t.Errorf("servers %s", got)
	}
}

// The value is the envelope other stores hold, then the earlier revs; a
// bare envelope (written by another tool) loads too.
func TestValueFormat(t *testing.T) {
	s := MustOpen(t, map[string]string{"servers": conntest.MemcachedAddr(t), "prefix": testPrefix()})
	ctx := context.Background()
	now := time.Now()
	r1 := mustWrite(t, s, newRecord("shop", scopes.Session, now, `{"n":1}`), scopes.ExpectAbsent, now).Rec
	r2 := r1
	r2.Rev, r2.Version, r2.Data = scopes.NewRev(), 2, json.RawMessage("{\"n\":2,\n\"s\":\"}\"}")
	mustWrite(t, s, r2, r1.Rev, now)
	k, _ := s.keyOf(r1.Key)
	it, err := s.client.Get(k)
	if err != nil {
		t.Fatal(err)
	}
	env, revs := split(it.Value)
	if revs != r1.Rev {
		t.Errorf("revs after the envelope %q, want %q", revs, r1.Rev)
	}
	if string(env) != string(scopes.EncodeRecord(r2)) {
		t.Errorf("envelope %s, want %s", env, scopes.EncodeRecord(r2))
	}
	if err := s.client.Set(&memcache.Item{Key: k, Value: env, Expiration: 60}); err != nil {
		t.Fatal(err)
	}
	got, found, err := s.Load(ctx, r1.Key, now)
	if err != nil || !found || string(got.Data) != string(r2.Data) {
		t.Errorf("Load of a bare envelope = %s, %v, %v", got.Data, found, err)
	}
	if err := s.client.Set(&memcache.Item{Key: k, Value: []byte("rO0ABXNy"), Expiration: 60}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Load(ctx, r1.Key, now); scopes.ErrorCode(err) != scopes.ECorrupt {
		t.Errorf("Load of a foreign value = %v, want corrupt", err)
	}
	r3 := newRecord("shop", scopes.Session, now, `{}`)
	r3.Key = r1.Key
	if res := mustWrite(t, s, r3, scopes.ExpectAny, now); !res.Written {
		t.Errorf("overwrite of a foreign value = %+v", res)
	}
}

// Keeping the revs of earlier writes in the value: the revs kept are
// bounded, newest first.
func TestEncodeKeepsRevs(t *testing.T) {
	revs := ""
	prev := "r0"
	for i := 1; i <= 40; i++ {
		v := encode(scopes.Record{Rev: "x"}, prev, revs)
		_, revs = split(v)
		prev = "r" + string(rune('a'+i%26)) + strings.Repeat("z", i/26)
	}
	if n := len(strings.Fields(revs)); n != keptRevs {
		t.Errorf("%d revs kept, want %d: %q", n, keptRevs, revs)
	}
}

// A write sent again after it succeeded is reported written and applied
// once: by the stored rev, by the revs kept after a write on top, and
// through the read-skipping path.
func TestWriteExactlyOnce(t *testing.T) {
	s := MustOpen(t, map[string]string{"servers": conntest.MemcachedAddr(t), "prefix": testPrefix()})
	ctx := context.Background()
	now := time.Now()
	r1 := mustWrite(t, s, newRecord("shop", scopes.Client, now, `{"n":1}`), scopes.ExpectAbsent, now).Rec
	if _, _, err := s.Load(ctx, r1.Key, now); err != nil { // fills the CAS cache: r2 skips the read
		t.Fatal(err)
	}
	r2 := r1
	r2.Rev, r2.Version, r2.Data = scopes.NewRev(), 2, json.RawMessage(`{"n":2}`)
	for i := range 3 {
		if res := mustWrite(t, s, r2, r1.Rev, now); !res.Written {
			t.Fatalf("send #%d of r2 = %+v, want written", i+1, res)
		}
	}
	r3 := r2
	r3.Rev, r3.Version, r3.Data = scopes.NewRev(), 3, json.RawMessage(`{"n":3}`)
	mustWrite(t, s, r3, r2.Rev, now)
	for _, again := range []scopes.Record{r2, r3} {
		if res := mustWrite(t, s, again, scopes.ExpectAny, now); !res.Written {
			t.Errorf("resent version %d = %+v, want written", again.Version, res)
		}
	}
	got, _, err := s.Load(ctx, r1.Key, now)
	if err != nil || got.Version != 3 || string(got.Data) != `{"n":3}` || got.Rev != r3.Rev {
		t.Errorf("after resends: version %d, data %s, %v; want version 3 applied once", got.Version, got.Data, err)
	}
	// A stale write, not a resend, loses.
	stale := r1
	stale.Rev, stale.Version = scopes.NewRev(), 2
	if res := mustWrite(t, s, stale, r1.Rev, now); res.Written || res.Rec.Rev != r3.Rev {
		t.Errorf("stale write = %+v, want the live record back", res)
	}
}

func TestTooLarge(t *testing.T) {
	s := MustOpen(t, map[string]string{"servers": conntest.MemcachedAddr(t), "prefix": testPrefix()})
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"big":"`+strings.Repeat("x", 2<<20)+`"}`)
	_, err := s.Write(context.Background(), rec, scopes.ExpectAbsent, now)
	if scopes.ErrorCode(err) != scopes.ETooLarge {
		t.Errorf("Write of 2 MB = %v, want too_large", err)
	}
	// The store still works afterwards.
	mustWrite(t, s, newRecord("shop", scopes.Session, now, `{}`), scopes.ExpectAbsent, now)
}
