package couchbase

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/couchbase/gocb/v2"

	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/scopes/storetest"
)

// skipMessage says how to run the integration tests, which need a
// Couchbase Server that cannot run on this machine nor on CI's.
const skipMessage = "no Couchbase Server to test against: set SCOPESTORE_TEST_COUCHBASE to its connection string " +
	"(couchbase://HOST), SCOPESTORE_TEST_COUCHBASE_BUCKET to a bucket these tests may fill and empty of scopestore's " +
	"documents (default scopestore_test), and SCOPESTORE_TEST_COUCHBASE_USERNAME and _PASSWORD to a user with the " +
	"data reader/writer, query select/insert/delete and query manage index roles on it; the cluster needs the data, " +
	"query and index services (Couchbase Server 7.0 or later), for example on another machine: docker run -d -p 8091-8097:8091-8097 " +
	"-p 11210:11210 couchbase/server:7.6.3, then set it up at http://HOST:8091. " +
	"These tests skip even with SCOPESTORE_TEST_REQUIRE_SERVICES=1, because no Couchbase Server can run on CI's machine"

// testConnection returns the connection of the Couchbase Server named by
// SCOPESTORE_TEST_COUCHBASE, or skips the test.
func testConnection(t *testing.T) scopes.Connection {
	t.Helper()
	url := os.Getenv("SCOPESTORE_TEST_COUCHBASE")
	if url == "" {
		t.Skip(skipMessage)
	}
	bucket := os.Getenv("SCOPESTORE_TEST_COUCHBASE_BUCKET")
	if bucket == "" {
		bucket = "scopestore_test"
	}
	return scopes.Connection{Name: "cbtest", Kind: "cache", Type: "couchbase", Storage: true,
		Params: map[string]string{"url": url, "bucket": bucket, "username": os.Getenv("SCOPESTORE_TEST_COUCHBASE_USERNAME")},
		Secret: os.Getenv("SCOPESTORE_TEST_COUCHBASE_PASSWORD")}
}

// openEmpty opens a store on the test server and deletes every scope
// document in its collection, so that each case starts from an empty store.
func openEmpty(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), testConnection(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.bucket.WaitUntilReady(30*time.Second, nil); err != nil {
		t.Fatalf("the test bucket is not ready: %v", err)
	}
	if err := s.createIndexes(ctx); err != nil {
		t.Fatalf("create the indexes: %v", err)
	}
	// "expires IS NOT MISSING" lets the query service use scopestore_expires.
	res, err := s.cluster.Query(s.statement("DELETE FROM %s AS d WHERE d.`type` = \""+docType+"\" AND d.`expires` IS NOT MISSING"),
		&gocb.QueryOptions{Context: ctx, ScanConsistency: gocb.QueryScanConsistencyRequestPlus, Adhoc: true})
	if err == nil {
		err = res.Close()
	}
	if err != nil {
		t.Fatalf("empty the test collection: %v", err)
	}
	ok = true
	return s
}

// TestStore runs the conformance suite on a Couchbase Server.
func TestStore(t *testing.T) {
	testConnection(t)
	storetest.Run(t, func(t *testing.T) scopes.Store { return openEmpty(t) })
}

func TestVerify(t *testing.T) {
	s := openEmpty(t)
	defer s.Close()
	for _, h := range s.Verify(context.Background()) {
		if h.Err != nil {
			t.Errorf("%s: %v", h.Name, h.Err)
		}
	}
}

// TestVerifyWrongBucket: a bucket that does not exist fails "connect", in
// words that name it, and every other check is skipped.
func TestVerifyWrongBucket(t *testing.T) {
	c := testConnection(t)
	c.Params["bucket"] = "no_such_bucket_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	c.Params["timeout"] = "2s"
	s, err := Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hs := s.Verify(context.Background())
	if len(hs) == 0 || hs[0].Err == nil {
		t.Fatalf("Verify of a missing bucket = %+v, want connect to fail", hs)
	}
	t.Logf("connect: %v", hs[0].Err)
	for _, h := range hs[1:] {
		if h.Err == nil {
			t.Errorf("%s passed after connect failed", h.Name)
		}
	}
}

// TestWriteResentAfterMany: a write sent again is recognised while at most
// keptRevs writes came on top of it, and past that it is refused as a stale
// compare-and-set: never applied twice.
func TestWriteResentAfterMany(t *testing.T) {
	s := openEmpty(t)
	defer s.Close()
	testWriteResentAfterMany(t, s)
}

func testWriteResentAfterMany(t *testing.T, s *Store) {
	ctx := context.Background()
	now := time.Now()
	rec := scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}, CFToken: "0",
		TimeCreated: now, LastVisit: now, Expires: now.Add(time.Hour), Version: 1, Rev: scopes.NewRev(), Data: json.RawMessage(`{"n":1}`)}
	write := func(r scopes.Record, expect string) scopes.WriteResult {
		t.Helper()
		res, err := s.Write(ctx, r, expect, now)
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
		return res
	}
	if !write(rec, scopes.ExpectAbsent).Written {
		t.Fatal("create not written")
	}
	first := rec
	first.Rev, first.Version, first.Data = scopes.NewRev(), 2, json.RawMessage(`{"n":2}`)
	if !write(first, rec.Rev).Written {
		t.Fatal("first update not written")
	}
	base := first
	for i := range keptRevs + 1 {
		next := base
		next.Rev, next.Version, next.Data = scopes.NewRev(), base.Version+1, json.RawMessage(`{"n":`+strconv.Itoa(i+3)+`}`)
		if !write(next, base.Rev).Written {
			t.Fatalf("update %d not written", i)
		}
		base = next
		res := write(first, rec.Rev)
		switch {
		case i < keptRevs && !res.Written:
			t.Fatalf("with %d writes on top, the first update sent again = %+v; want written (it was applied)", i+1, res)
		case i == keptRevs && res.Written:
			t.Fatalf("with %d writes on top, the first update sent again was reported written; want the stale answer", i+1)
		}
	}
	got, found, err := s.Load(ctx, rec.Key, now)
	if err != nil || !found || got.Rev != base.Rev || string(got.Data) != string(base.Data) {
		t.Errorf("stored %+v, %v, %v; want the last update, %s", got, found, err, base.Data)
	}
}

// TestDocumentExpiry: a document's Couchbase expiry is its scope's Expires
// plus expiryGrace, on both sides of the 30 days past which Couchbase reads
// an expiry as a Unix time.
func TestDocumentExpiry(t *testing.T) {
	s := openEmpty(t)
	defer s.Close()
	ctx := context.Background()
	for _, ttl := range []time.Duration{time.Hour, 29 * 24 * time.Hour, 90 * 24 * time.Hour} {
		now := time.Now()
		rec := scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Client, CFID: scopes.NewCFID()}, CFToken: "0",
			TimeCreated: now, LastVisit: now, Expires: now.Add(ttl), Version: 1, Rev: scopes.NewRev()}
		if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
			t.Fatalf("Write: %+v, %v", res, err)
		}
		k, _ := docKey(rec.Key)
		res, err := s.coll.Get(k, &gocb.GetOptions{WithExpiry: true})
		if err != nil {
			t.Fatal(err)
		}
		want := rec.Expires.Add(expiryGrace)
		if got := res.ExpiryTime(); got.Before(want.Add(-clockTolerance)) || got.After(want.Add(clockTolerance)) {
			t.Errorf("scope expiring in %v: document expires at %v, want about %v", ttl, got, want)
		}
	}
}

// TestForeignDocument: a document under a scope's key that scopestore did
// not write loads as ECorrupt, is left out of listings, and an overwrite
// (ExpectAny) replaces it.
func TestForeignDocument(t *testing.T) {
	s := openEmpty(t)
	defer s.Close()
	ctx := context.Background()
	now := time.Now()
	key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	k, _ := docKey(key)
	if _, err := s.coll.Upsert(k, map[string]any{"type": "scopestore", "app": "shop", "kind": "session", "cfid": key.CFID,
		"expires": now.Add(time.Hour).UnixMilli(), "scope": "rO0ABXNy"}, &gocb.UpsertOptions{Expiry: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Load(ctx, key, now); scopes.ErrorCode(err) != scopes.ECorrupt {
		t.Errorf("Load of a foreign document: %v, want ECorrupt", err)
	}
	if list, err := s.List(ctx, "shop", scopes.Session, "", 10, now); err != nil || len(list) != 0 {
		t.Errorf("List = %d records, %v; want none", len(list), err)
	}
	rec := scopes.Record{Key: key, CFToken: "0", TimeCreated: now, LastVisit: now, Expires: now.Add(time.Hour), Version: 1, Rev: scopes.NewRev()}
	if _, err := s.Write(ctx, rec, rec.Rev+"x", now); scopes.ErrorCode(err) != scopes.ECorrupt {
		t.Errorf("compare-and-set over a foreign document: %v, want ECorrupt", err)
	}
	if res, err := s.Write(ctx, rec, scopes.ExpectAny, now); err != nil || !res.Written {
		t.Errorf("overwrite of a foreign document = %+v, %v; want written", res, err)
	}
	if _, found, err := s.Load(ctx, key, now); err != nil || !found {
		t.Errorf("Load after the overwrite = %v, %v", found, err)
	}
}
