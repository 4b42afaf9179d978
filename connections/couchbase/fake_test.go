package couchbase

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/couchbase/gocb/v2"

	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/scopes/storetest"
)

// fakeDocuments is a collection in memory with Couchbase's CAS semantics:
// every mutation gives the document a new CAS, a replace at another CAS
// fails with gocb.ErrCasMismatch, an insert over a document with
// gocb.ErrDocumentExists. It ignores expiry but records it.
type fakeDocuments struct {
	mu   sync.Mutex
	docs map[string]fakeDocument
	cas  gocb.Cas
	// before, when set, runs before each mutation (op is insert, replace or
	// remove): an error it returns fails the mutation unapplied.
	before func(op string) error
	// after, when set, runs after each mutation applied: an error it
	// returns fails the mutation, applied, as a timeout after sending does.
	after func(op string) error
}

type fakeDocument struct {
	value  []byte
	cas    gocb.Cas
	expiry time.Duration
}

func newFakeDocuments() *fakeDocuments { return &fakeDocuments{docs: map[string]fakeDocument{}} }

func (f *fakeDocuments) get(_ context.Context, k string) (raw, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.docs[k]
	if !ok {
		return raw{}, false, nil
	}
	return raw{value: append([]byte(nil), d.value...), cas: d.cas}, true, nil
}

func (f *fakeDocuments) mutate(op, k string, apply func(d fakeDocument, ok bool) (fakeDocument, bool, error)) error {
	f.mu.Lock()
	before, after := f.before, f.after
	f.mu.Unlock()
	if before != nil {
		if err := before(op); err != nil {
			return err
		}
	}
	f.mu.Lock()
	d, ok := f.docs[k]
	nd, keep, err := apply(d, ok)
	if err == nil {
		if keep {
			f.cas++
			nd.cas = f.cas
			f.docs[k] = nd
		} else {
			delete(f.docs, k)
		}
	}
	f.mu.Unlock()
	if err == nil && after != nil {
		return after(op)
	}
	return err
}

func (f *fakeDocuments) insert(_ context.Context, k string, doc []byte, expiry time.Duration) error {
	return f.mutate("insert", k, func(_ fakeDocument, ok bool) (fakeDocument, bool, error) {
		if ok {
			return fakeDocument{}, false, gocb.ErrDocumentExists
		}
		return fakeDocument{value: append([]byte(nil), doc...), expiry: expiry}, true, nil
	})
}

func (f *fakeDocuments) replace(_ context.Context, k string, doc []byte, cas gocb.Cas, expiry time.Duration) error {
	return f.mutate("replace", k, func(d fakeDocument, ok bool) (fakeDocument, bool, error) {
		switch {
		case !ok:
			return d, false, gocb.ErrDocumentNotFound
		case cas != d.cas:
			return d, false, gocb.ErrCasMismatch
		}
		return fakeDocument{value: append([]byte(nil), doc...), expiry: expiry}, true, nil
	})
}

func (f *fakeDocuments) remove(_ context.Context, k string) error {
	return f.mutate("remove", k, func(d fakeDocument, ok bool) (fakeDocument, bool, error) {
		if !ok {
			return d, false, gocb.ErrDocumentNotFound
		}
		return d, false, nil
	})
}

// fakeStore is a Store over fakeDocuments, with nothing to close and a
// Ping that always answers.
type fakeStore struct{ *Store }

func (fakeStore) Close() error               { return nil }
func (fakeStore) Ping(context.Context) error { return nil }

func newFakeStore(t *testing.T) (*Store, *fakeDocuments) {
	t.Helper()
	s := testStore(t)
	f := newFakeDocuments()
	s.docs, s.log = f, slog.Default()
	return s, f
}

// TestStoreOverFake runs the conformance suite over the fake collection:
// Load, Write (create, compare-and-set, overwrite, a write sent again,
// concurrent writers losing CAS races) and Delete, all but what needs the
// query service, which only a Couchbase Server has (TestStore runs those).
func TestStoreOverFake(t *testing.T) {
	needsQuery := "needs the query service (SQL++), which only a Couchbase Server has: TestStore runs it when SCOPESTORE_TEST_COUCHBASE is set"
	storetest.RunExcept(t, func(t *testing.T) scopes.Store {
		s, _ := newFakeStore(t)
		return fakeStore{s}
	}, map[string]string{
		"Expired":                  needsQuery + " (List and DeleteExpired)",
		"List":                     needsQuery,
		"Count":                    needsQuery,
		"DeleteExpiredLimit":       needsQuery,
		"SharedKindsList":          needsQuery,
		"SharedKindsCount":         needsQuery,
		"SharedKindsDeleteExpired": needsQuery,
		"Ping":                     "needs a Couchbase Server",
	})
}

// TestWriteResentAfterManyOverFake is TestWriteResentAfterMany over the
// fake collection.
func TestWriteResentAfterManyOverFake(t *testing.T) {
	s, _ := newFakeStore(t)
	testWriteResentAfterMany(t, s)
}

func fakeRecord(now time.Time, data string) scopes.Record {
	return scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}, CFToken: "0",
		TimeCreated: now, LastVisit: now, Expires: now.Add(30 * time.Minute), Version: 1, Rev: scopes.NewRev(), Data: json.RawMessage(data)}
}

// TestWriteAmbiguous: a write that Couchbase applied but whose answer was
// lost (a timeout after it was sent) is an error of unknown outcome, which
// the engine resolves by sending it again; sent again, it is reported
// written and not applied twice. A write that was never sent is an
// EUnavailable marked not applied, and nothing is stored.
func TestWriteAmbiguous(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, f := newFakeStore(t)
	lost := func(string) error {
		return &gocb.TimeoutError{InnerError: gocb.ErrAmbiguousTimeout, LastDispatchedTo: "10.0.0.7:11210"}
	}

	rec := fakeRecord(now, `{"n":1}`)
	f.after = lost
	_, err := s.Write(ctx, rec, scopes.ExpectAbsent, now)
	if scopes.ErrorCode(err) != scopes.EInternal || errors.Is(err, scopes.ErrNotApplied) {
		t.Fatalf("create with a lost answer: %v (%s); want an error of unknown outcome", err, scopes.ErrorCode(err))
	}
	f.after = nil
	if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
		t.Fatalf("create sent again = %+v, %v; want written", res, err)
	}

	upd := rec
	upd.Rev, upd.Version, upd.Data = scopes.NewRev(), 2, json.RawMessage(`{"n":2}`)
	f.after = lost
	if _, err := s.Write(ctx, upd, rec.Rev, now); scopes.ErrorCode(err) != scopes.EInternal {
		t.Fatalf("update with a lost answer: %v; want an error of unknown outcome", err)
	}
	f.after = nil
	casBefore := f.cas
	if res, err := s.Write(ctx, upd, rec.Rev, now); err != nil || !res.Written {
		t.Fatalf("update sent again = %+v, %v; want written", res, err)
	}
	if f.cas != casBefore {
		t.Error("the update sent again was applied a second time")
	}
	got, found, err := s.Load(ctx, rec.Key, now)
	if err != nil || !found || got.Version != 2 || got.Rev != upd.Rev || string(got.Data) != `{"n":2}` {
		t.Errorf("stored %+v, %v, %v; want the update, once", got, found, err)
	}

	// Never sent: the cluster was out of reach until the timeout.
	other := fakeRecord(now, `{}`)
	f.before = func(string) error { return &gocb.TimeoutError{InnerError: gocb.ErrAmbiguousTimeout} }
	_, err = s.Write(ctx, other, scopes.ExpectAbsent, now)
	if scopes.ErrorCode(err) != scopes.EUnavailable || !errors.Is(err, scopes.ErrNotApplied) {
		t.Errorf("create never sent: %v (%s); want EUnavailable, not applied", err, scopes.ErrorCode(err))
	}
	f.before = nil
	if _, found, _ := s.Load(ctx, other.Key, now); found {
		t.Error("a create that was never sent is stored")
	}
}

// TestWriteContention: a write that loses every compare-and-set (another
// program keeps changing the document, its scope's rev unchanged) answers,
// after casAttempts, as a stale compare-and-set does, with the record read,
// and no error.
func TestWriteContention(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, f := newFakeStore(t)
	rec := fakeRecord(now, `{"n":1}`)
	if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
		t.Fatalf("create = %+v, %v", res, err)
	}
	attempts := 0
	f.before = func(op string) error {
		if op == "replace" {
			attempts++
			return gocb.ErrCasMismatch
		}
		return nil
	}
	upd := rec
	upd.Rev, upd.Version = scopes.NewRev(), 2
	for _, expect := range []string{rec.Rev, scopes.ExpectAny} {
		attempts = 0
		res, err := s.Write(ctx, upd, expect, now)
		if err != nil || res.Written || !res.Found || res.Rec.Rev != rec.Rev {
			t.Errorf("expecting %q: Write = %+v, %v; want not written, with the record read", expect, res, err)
		}
		if attempts != casAttempts {
			t.Errorf("expecting %q: %d replaces, want %d", expect, attempts, casAttempts)
		}
	}
}

// TestWriteExpiry: every insert and replace gives the document its expiry,
// the scope's plus the grace, never none.
func TestWriteExpiry(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s, f := newFakeStore(t)
	rec := fakeRecord(now, `{}`)
	k, _ := docKey(rec.Key)
	check := func(what string, ttl time.Duration) {
		t.Helper()
		got := f.docs[k].expiry
		if want := ttl + expiryGrace; got < want || got > want+2*time.Second {
			t.Errorf("%s: document expiry %v, want %v (+2s)", what, got, want)
		}
	}
	if _, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err != nil {
		t.Fatal(err)
	}
	check("insert", 30*time.Minute)
	upd := rec
	upd.Rev, upd.Expires = scopes.NewRev(), now.Add(90*24*time.Hour)
	if _, err := s.Write(ctx, upd, rec.Rev, now); err != nil {
		t.Fatal(err)
	}
	check("replace", 90*24*time.Hour)
}
