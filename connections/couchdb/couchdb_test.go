package couchdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/scopes/storetest"
)

// open opens a store over a connection with params; the caller closes it.
func open(tb testing.TB, params map[string]string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), scopes.Connection{Name: "cdb", Kind: "cache", Type: "couchdb", Storage: true, Params: params})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

// MustOpen opens a store over a database of the test's own on the test
// CouchDB server and closes it when the test ends.
func MustOpen(tb testing.TB) *Store {
	tb.Helper()
	s := open(tb, map[string]string{"url": conntest.CouchDBDatabase(tb)})
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) scopes.Store {
		return open(t, map[string]string{"url": conntest.CouchDBDatabase(t)})
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) scopes.Store {
		return open(b, map[string]string{"url": conntest.CouchDBDatabase(b)})
	})
}

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
		t.Fatalf("Write %v: %v", rec.Key, err)
	}
	return res
}

// A write sent again, as the engine does after an answer it did not get,
// is written once: the document's revision count shows one update, even
// after other writes came on top of it.
func TestResendAppliedOnce(t *testing.T) {
	s := MustOpen(t)
	now := time.Now()
	r1 := newRecord("shop", scopes.Session, now, `{"n":1}`)
	mustWrite(t, s, r1, scopes.ExpectAbsent, now)
	r2 := r1
	r2.Rev, r2.Version, r2.Data = scopes.NewRev(), 2, json.RawMessage(`{"n":2}`)
	for i := range 3 {
		if res := mustWrite(t, s, r2, r1.Rev, now); !res.Written {
			t.Fatalf("send #%d = %+v, want written", i+1, res)
		}
	}
	doc := rawDoc(t, s, r1.Key)
	if !strings.HasPrefix(doc.Rev, "2-") {
		t.Errorf("document at _rev %s after one create and one write sent three times; want 2-…", doc.Rev)
	}
	// Another writer's write on top; r2 sent again is still recognised
	// and changes nothing.
	r3 := r2
	r3.Rev, r3.Version, r3.Data = scopes.NewRev(), 3, json.RawMessage(`{"n":3}`)
	mustWrite(t, s, r3, r2.Rev, now)
	if res := mustWrite(t, s, r2, r1.Rev, now); !res.Written {
		t.Errorf("a write sent again after another = %+v, want written", res)
	}
	got, found, err := s.Load(context.Background(), r1.Key, now)
	if err != nil || !found || string(got.Data) != `{"n":3}` {
		t.Errorf("Load = %s, %v, %v; want the third write", got.Data, found, err)
	}
	if doc := rawDoc(t, s, r1.Key); !strings.HasPrefix(doc.Rev, "3-") || !slices.Equal(doc.Writes, []string{r1.Rev, r2.Rev, r3.Rev}) {
		t.Errorf("document _rev %s writes %v; want 3-… and the three revs", doc.Rev, doc.Writes)
	}
	// A create sent again is recognised too.
	c := newRecord("shop", scopes.Client, now, `{}`)
	for i := range 2 {
		if res := mustWrite(t, s, c, scopes.ExpectAbsent, now); !res.Written {
			t.Fatalf("create #%d = %+v, want written", i+1, res)
		}
	}
	if doc := rawDoc(t, s, c.Key); !strings.HasPrefix(doc.Rev, "1-") {
		t.Errorf("a create sent twice left _rev %s, want 1-…", doc.Rev)
	}
}

// The document remembers recentWrites revs, no more.
func TestWritesRemembered(t *testing.T) {
	s := MustOpen(t)
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{}`)
	mustWrite(t, s, rec, scopes.ExpectAbsent, now)
	first := rec.Rev
	for range recentWrites + 2 {
		prev := rec.Rev
		rec.Rev = scopes.NewRev()
		mustWrite(t, s, rec, prev, now)
	}
	doc := rawDoc(t, s, rec.Key)
	if len(doc.Writes) != recentWrites || doc.Writes[len(doc.Writes)-1] != rec.Rev || slices.Contains(doc.Writes, first) {
		t.Errorf("writes %d revs, last %s; want %d, ending with %s, without the first", len(doc.Writes), doc.Writes[len(doc.Writes)-1], recentWrites, rec.Rev)
	}
}

// rawDoc reads a scope's document as CouchDB keeps it.
func rawDoc(t *testing.T, s *Store, key scopes.Key) scopeDoc {
	t.Helper()
	id, err := docID(key)
	if err != nil {
		t.Fatal(err)
	}
	doc, found, err := s.get(context.Background(), "test", id)
	if err != nil || !found {
		t.Fatalf("document %s: found %v, %v", id, found, err)
	}
	return doc
}

// An expired document is not found, listed nor counted, though it is still
// stored until the cleaner deletes it.
func TestExpiryOnLoad(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"a":1}`)
	rec.Expires = now.Add(time.Second)
	mustWrite(t, s, rec, scopes.ExpectAbsent, now)
	if _, found, err := s.Load(ctx, rec.Key, now); err != nil || !found {
		t.Fatalf("Load before expiry: found %v, %v", found, err)
	}
	later := now.Add(time.Second)
	if _, found, err := s.Load(ctx, rec.Key, later); err != nil || found {
		t.Errorf("Load at expiry: found %v, %v; want not found", found, err)
	}
	if recs, err := s.List(ctx, "shop", scopes.Session, "", 10, later); err != nil || len(recs) != 0 {
		t.Errorf("List at expiry = %d records, %v; want none", len(recs), err)
	}
	if n, exact, err := s.Count(ctx, "shop", scopes.Session, later); err != nil || n != 0 || !exact {
		t.Errorf("Count at expiry = %d, %v, %v; want 0, exact", n, exact, err)
	}
	if n, _, _ := s.Count(ctx, "shop", scopes.Session, now); n != 1 {
		t.Errorf("Count before expiry = %d, want 1", n)
	}
	rawDoc(t, s, rec.Key) // still stored
}

// DeleteExpired deletes no more than its limit, returns the keys it
// deleted, leaves live scopes alone, and deletes the rest on later calls.
func TestDeleteExpiredBounded(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	now := time.Now()
	want := map[scopes.Key]bool{}
	for i := range 7 {
		rec := newRecord("shop", scopes.Kinds[i%2], now, `{}`)
		rec.Expires = now.Add(-time.Minute)
		mustWrite(t, s, rec, scopes.ExpectAny, now)
		want[rec.Key] = true
	}
	live := newRecord("shop", scopes.Session, now, `{}`)
	mustWrite(t, s, live, scopes.ExpectAbsent, now)

	got := map[scopes.Key]bool{}
	for _, limit := range []int{3, 3, 3, 3} {
		keys, err := s.DeleteExpired(ctx, now, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > limit {
			t.Errorf("DeleteExpired(%d) deleted %d", limit, len(keys))
		}
		for _, k := range keys {
			if got[k] || !want[k] {
				t.Errorf("DeleteExpired returned %v, deleted twice or not expired", k)
			}
			got[k] = true
		}
	}
	if len(got) != len(want) {
		t.Errorf("deleted %d of %d expired", len(got), len(want))
	}
	if _, found, err := s.Load(ctx, live.Key, now); err != nil || !found {
		t.Errorf("the live scope: found %v, %v", found, err)
	}
}

// Two instances cleaning at once delete each expired document once: one
// holds the lease, and a document's _rev lets one deletion through.
func TestTwoCleaners(t *testing.T) {
	db := conntest.CouchDBDatabase(t)
	a, b := open(t, map[string]string{"url": db}), open(t, map[string]string{"url": db})
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	now := time.Now()
	const n = 60
	for range n {
		rec := newRecord("shop", scopes.Session, now, `{}`)
		rec.Expires = now.Add(-time.Second)
		mustWrite(t, a, rec, scopes.ExpectAbsent, now)
	}
	var mu sync.Mutex
	seen := map[scopes.Key]int{}
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b, a, b} {
		wg.Go(func() {
			for range 10 {
				keys, err := s.DeleteExpired(ctx, now, 7)
				if err != nil {
					t.Errorf("DeleteExpired: %v", err)
					return
				}
				mu.Lock()
				for _, k := range keys {
					seen[k]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for k, c := range seen {
		if c != 1 {
			t.Errorf("%v reported deleted %d times", k, c)
		}
	}
	// Whatever the lease left undone, the next passes finish.
	for _, s := range []*Store{a, b} {
		for {
			keys, err := s.DeleteExpired(ctx, now, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				seen[k]++
			}
			if len(keys) == 0 {
				break
			}
		}
	}
	if len(seen) != n {
		t.Errorf("%d of %d expired scopes deleted", len(seen), n)
	}
}

// While another instance holds the lease, DeleteExpired deletes nothing;
// a pass that ends releases it.
func TestCleanerLease(t *testing.T) {
	db := conntest.CouchDBDatabase(t)
	a, b := open(t, map[string]string{"url": db}), open(t, map[string]string{"url": db})
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	now := time.Now()
	for range 3 {
		rec := newRecord("shop", scopes.Client, now, `{}`)
		rec.Expires = now.Add(-time.Second)
		mustWrite(t, a, rec, scopes.ExpectAbsent, now)
	}
	if err := a.prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if held, err := a.takeLease(ctx, true); err != nil || !held {
		t.Fatalf("a takes the lease: %v, %v", held, err)
	}
	if keys, err := b.DeleteExpired(ctx, now, 10); err != nil || len(keys) != 0 {
		t.Errorf("b while a holds the lease: %v, %v; want nothing", keys, err)
	}
	if keys, err := a.DeleteExpired(ctx, now, 10); err != nil || len(keys) != 3 {
		t.Errorf("a: %v, %v; want 3 deleted", keys, err)
	}
	// a's pass ended (fewer than the limit): b may take over at once.
	if held, err := b.takeLease(ctx, true); err != nil || !held {
		t.Errorf("b after a's pass: %v, %v; want the lease", held, err)
	}
}

func TestListOrderAndPaging(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	now := time.Now()
	var cfids []string
	for range 25 {
		rec := newRecord("shop", scopes.Client, now, `{}`)
		mustWrite(t, s, rec, scopes.ExpectAbsent, now)
		cfids = append(cfids, rec.CFID)
	}
	// Neighbours that must not show: another app sharing a prefix, the
	// other kind.
	mustWrite(t, s, newRecord("shop2", scopes.Client, now, `{}`), scopes.ExpectAbsent, now)
	mustWrite(t, s, newRecord("sho", scopes.Client, now, `{}`), scopes.ExpectAbsent, now)
	mustWrite(t, s, newRecord("shop", scopes.Session, now, `{}`), scopes.ExpectAbsent, now)
	slices.Sort(cfids)
	var got []string
	after := ""
	for {
		page, err := s.List(ctx, "shop", scopes.Client, after, 10, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			got = append(got, r.CFID)
		}
		if len(page) < 10 {
			break
		}
		after = page[len(page)-1].CFID
	}
	if !slices.Equal(got, cfids) {
		t.Errorf("listed %d cfids %v\nwant %d %v", len(got), got, len(cfids), cfids)
	}
	if n, exact, err := s.Count(ctx, "shop", scopes.Client, now); err != nil || n != 25 || !exact {
		t.Errorf("Count = %d, %v, %v; want 25, exact", n, exact, err)
	}
}

func TestVerify(t *testing.T) {
	s := MustOpen(t)
	hs := s.Verify(context.Background())
	var names []string
	for _, h := range hs {
		names = append(names, h.Name)
		if h.Err != nil {
			t.Errorf("%s: %v", h.Name, h.Err)
		}
	}
	if got, want := strings.Join(names, ","), "connect,database,write,read,compare-and-set,count,delete,index"; got != want {
		t.Errorf("checks %s, want %s", got, want)
	}
	// The probe is gone.
	if recs, err := s.List(context.Background(), "scopestore-verify", scopes.Session, "", 10, time.Now()); err != nil || len(recs) != 0 {
		t.Errorf("Verify left %d probes (%v)", len(recs), err)
	}
}

func TestVerifyServerDown(t *testing.T) {
	s := open(t, map[string]string{"url": "http://127.0.0.1:1/sessions", "timeout": "2s"})
	defer s.Close()
	hs := s.Verify(context.Background())
	if len(hs) != 8 || hs[0].Err == nil {
		t.Fatalf("checks %+v: connect did not fail", hs)
	}
	for _, h := range hs[1:] {
		if h.Err == nil || !strings.Contains(h.Err.Error(), "skipped") {
			t.Errorf("%s: %v; want skipped", h.Name, h.Err)
		}
	}
}

// The credentials go with every request as basic auth, from the params or
// from the url, never left in the url.
func TestOpenParams(t *testing.T) {
	s, err := Open(context.Background(), scopes.Connection{Name: "c", Params: map[string]string{"url": "https://admin@db.example:6984/couch/sessions/", "timeout": "9s"}, Secret: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if s.db != "https://db.example:6984/couch/sessions" || s.root != "https://db.example:6984/couch/" || s.user != "admin" || s.password != "pw" || s.client.Timeout != 9*time.Second {
		t.Errorf("db %s root %s user %s password %s timeout %v", s.db, s.root, s.user, s.password, s.client.Timeout)
	}
	for _, bad := range []string{"", "redis://h/db", "http://h", "http://h/", "http://h/db?x=1", "http://h/Sessions", "http://h/1db"} {
		_, err := Open(context.Background(), scopes.Connection{Name: "c", Params: map[string]string{"url": bad}})
		if scopes.ErrorCode(err) != scopes.EInvalid {
			t.Errorf("url %q: %v, want invalid", bad, err)
		}
	}
	if _, err := Open(context.Background(), scopes.Connection{Name: "c", Params: map[string]string{"url": "http://h/db", "timeout": "soon"}}); scopes.ErrorCode(err) != scopes.EInvalid {
		t.Errorf("timeout soon: %v, want invalid", err)
	}
}

// A server that refuses the credentials is reported as a 503 naming the
// connection, and a write refused so was not applied.
func TestUnauthorized(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "wrong" {
			t.Errorf("request without the credentials: %q %q %v", u, p, ok)
		}
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"unauthorized","reason":"Name or password is incorrect."}`))
	}))
	defer srv.Close()
	s, err := Open(context.Background(), scopes.Connection{Name: "cdb", Params: map[string]string{"url": srv.URL + "/sessions", "username": "admin"}, Secret: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	_, err = s.Write(context.Background(), newRecord("shop", scopes.Session, now, `{}`), scopes.ExpectAbsent, now)
	var se *scopes.Error
	if !errors.As(err, &se) || se.Code != scopes.EUnavailable || !strings.Contains(se.Message, `"cdb"`) || !strings.Contains(se.Message, "user name or password") {
		t.Errorf("Write: %v; want unavailable, naming cdb and the credentials", err)
	}
	if !errors.Is(err, scopes.ErrNotApplied) {
		t.Errorf("%v is not marked not applied", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("%v shows the password", err)
	}
}

// countingTransport counts the requests a Store sends, by method.
type countingTransport struct {
	mu   sync.Mutex
	n    map[string]int
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[r.Method]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *countingTransport) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

// A save based on the record just loaded is one PUT; one based on a record
// another instance replaced meanwhile is refused with the live record, as
// without the remembered _rev.
func TestWriteAfterLoadOnePut(t *testing.T) {
	db := conntest.CouchDBDatabase(t)
	a, b := open(t, map[string]string{"url": db}), open(t, map[string]string{"url": db})
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
	mustWrite(t, a, rec, scopes.ExpectAbsent, now)
	if err := b.prepare(ctx); err != nil {
		t.Fatal(err)
	}
	counter := &countingTransport{n: map[string]int{}, next: a.client.Transport}
	a.client.Transport = counter

	loaded, _, err := a.Load(ctx, rec.Key, now)
	if err != nil {
		t.Fatal(err)
	}
	next := loaded
	next.Rev, next.Version, next.Data = scopes.NewRev(), 2, json.RawMessage(`{"n":2}`)
	counter.take()
	if res := mustWrite(t, a, next, loaded.Rev, now); !res.Written {
		t.Fatalf("save after load = %+v", res)
	}
	if n := counter.take(); n[http.MethodPut] != 1 || len(n) != 1 {
		t.Errorf("save after load sent %v, want one PUT", n)
	}
	// b writes on top; a's next save from its own copy loses, and learns
	// b's record.
	other := next
	other.Rev, other.Version, other.Data = scopes.NewRev(), 3, json.RawMessage(`{"n":3,"by":"b"}`)
	if res := mustWrite(t, b, other, next.Rev, now); !res.Written {
		t.Fatalf("b's write = %+v", res)
	}
	stale := next
	stale.Rev, stale.Version, stale.Data = scopes.NewRev(), 3, json.RawMessage(`{"n":3,"by":"a"}`)
	res := mustWrite(t, a, stale, next.Rev, now)
	if res.Written || !res.Found || res.Rec.Rev != other.Rev {
		t.Errorf("a's stale save = written %v, found %v, rev %s; want b's record %s", res.Written, res.Found, res.Rec.Rev, other.Rev)
	}
	// An expired record is not written on, even at the _rev remembered.
	gone := other
	gone.Rev, gone.Expires = scopes.NewRev(), now
	mustWrite(t, a, gone, other.Rev, now)
	late := gone
	late.Rev = scopes.NewRev()
	if res := mustWrite(t, a, late, gone.Rev, now.Add(time.Second)); res.Written || res.Found {
		t.Errorf("a write on an expired record = %+v, want not written, not found", res)
	}
}

// Two instances (two Stores, each with its remembered _revs) incrementing
// one scope with compare-and-set lose no update: every 409 is read again.
func TestTwoInstancesNoLostUpdate(t *testing.T) {
	db := conntest.CouchDBDatabase(t)
	stores := []*Store{open(t, map[string]string{"url": db}), open(t, map[string]string{"url": db})}
	for _, s := range stores {
		defer s.Close()
	}
	ctx := context.Background()
	now := time.Now()
	rec := newRecord("shop", scopes.Session, now, `{"n":0}`)
	mustWrite(t, stores[0], rec, scopes.ExpectAbsent, now)
	const workers, each = 6, 5
	var wg sync.WaitGroup
	for w := range workers {
		s := stores[w%2]
		wg.Go(func() {
			for range each {
				cur, found, err := s.Load(ctx, rec.Key, now)
				for attempt := 0; ; attempt++ {
					if err != nil || !found || attempt == 1000 {
						t.Errorf("increment: found %v, %v after %d attempts", found, err, attempt)
						return
					}
					var d struct{ N int }
					_ = json.Unmarshal(cur.Data, &d)
					upd := cur
					upd.Rev, upd.Version = scopes.NewRev(), cur.Version+1
					upd.Data, _ = json.Marshal(map[string]int{"n": d.N + 1})
					var res scopes.WriteResult
					res, err = s.Write(ctx, upd, cur.Rev, now)
					if err == nil && res.Written {
						break
					}
					cur, found = res.Rec, res.Found
				}
			}
		})
	}
	wg.Wait()
	got, _, err := stores[1].Load(ctx, rec.Key, now)
	if err != nil || string(got.Data) != fmt.Sprintf(`{"n":%d}`, workers*each) || got.Version != 1+workers*each {
		t.Errorf("after %d increments: %s version %d (%v)", workers*each, got.Data, got.Version, err)
	}
}
