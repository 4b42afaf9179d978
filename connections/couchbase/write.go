package couchbase

import (
	"context"
	"errors"
	"time"

	"github.com/couchbase/gocb/v2"

	"github.com/scopestore/scopestore/scopes"
)

// casAttempts bounds how often Write reads the document again after
// Couchbase refused its replace or insert because the document changed in
// between; each such loss is to a writer that changed the document, so the
// bound is reached only by a scope written by many at once.
const casAttempts = 16

// Write writes rec if the live record under its key meets expect (see
// scopes.Store.Write):
//
//   - ExpectAbsent: an insert, one round trip. When a document is there,
//     it is read: a scope that expired at now (its document outlives it by
//     expiryGrace) is replaced, with the CAS read; a live one is the answer.
//   - a rev, or ExpectAny: a get, then a replace with the CAS read (an
//     insert when there is no document), when the stored record meets
//     expect; two round trips.
//
// A replace or insert that loses to another writer (a CAS mismatch, a
// document that came or went) reads the document again and decides again,
// up to casAttempts times; past that it answers as a store whose record
// does not match does, with the record read last, and the engine applies
// its change again on it, as it does with every store.
//
// Exactly once: the document keeps, beside the record's own rev, the revs
// of the keptRevs writes before it. A write sent again (after a timeout of
// unknown outcome) whose rev is there was applied: it is reported written
// and not applied twice, while its document exists and at most keptRevs
// writes came on top of it.
func (s *Store) Write(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	k, err := docKey(rec.Key)
	if err != nil {
		return scopes.WriteResult{}, err
	}
	if rec.Rev == "" {
		return scopes.WriteResult{}, scopes.Errorf(scopes.EInvalid, "a record to write needs a rev (scopes.NewRev)")
	}
	rec = stored(rec)
	written := scopes.WriteResult{Written: true, Rec: rec, Found: true}
	expiry := docExpiry(rec.Expires, time.Now())

	if expect == scopes.ExpectAbsent {
		err := s.insert(ctx, k, encodeDocument(rec, nil), expiry)
		switch {
		case err == nil:
			return written, nil
		case !errors.Is(err, gocb.ErrDocumentExists):
			return scopes.WriteResult{}, s.writeError("write", err)
		}
	}

	var last scopes.WriteResult
	for range casAttempts {
		// A read that fails leaves this call's mutations unapplied: each
		// one before it was refused.
		r, exists, err := s.get(ctx, k)
		if err != nil {
			return scopes.WriteResult{}, s.readError("write: read", errors.Join(scopes.ErrNotApplied, err))
		}
		var cur scopes.Record
		var prev []string
		found := false
		if exists {
			cur, prev, err = decodeDocument(rec.Key, r.value)
			switch {
			case err == nil:
				if holds(cur.Rev, prev, rec.Rev) {
					return written, nil // sent again: an earlier call wrote it
				}
				found = !cur.Expired(now)
			case expect != scopes.ExpectAny:
				return scopes.WriteResult{}, err
			}
		}
		if !scopes.Matches(expect, cur, found) {
			if !found {
				return scopes.WriteResult{Rec: scopes.Record{Key: rec.Key}}, nil
			}
			return scopes.WriteResult{Rec: cur, Found: true}, nil
		}
		if exists {
			// A document that is not scopestore's (overwritten with
			// ExpectAny) has no rev to keep.
			if cur.Rev != "" {
				prev = append([]string{cur.Rev}, prev...)
			}
			err = s.replace(ctx, k, encodeDocument(rec, prev), r.cas, expiry)
		} else {
			err = s.insert(ctx, k, encodeDocument(rec, nil), expiry)
		}
		switch {
		case err == nil:
			return written, nil
		case errors.Is(err, gocb.ErrCasMismatch), errors.Is(err, gocb.ErrDocumentExists), errors.Is(err, gocb.ErrDocumentNotFound):
			// Another writer came between the read and this write.
			last = scopes.WriteResult{Rec: scopes.Record{Key: rec.Key}}
			if found {
				last = scopes.WriteResult{Rec: cur, Found: true}
			}
			continue
		default:
			return scopes.WriteResult{}, s.writeError("write", err)
		}
	}
	s.log.WarnContext(ctx, "a write lost every compare-and-set to other writers; answering with the record read last",
		"app", rec.App, "kind", rec.Kind, "cfid", rec.CFID, "attempts", casAttempts)
	return last, nil
}

// insert creates the document k, which fails with gocb.ErrDocumentExists
// when there is one.
func (s *Store) insert(ctx context.Context, k string, doc []byte, expiry time.Duration) error {
	return s.docs.insert(ctx, k, doc, expiry)
}

// replace replaces the document k if its CAS is still cas (see documents).
func (s *Store) replace(ctx context.Context, k string, doc []byte, cas gocb.Cas, expiry time.Duration) error {
	return s.docs.replace(ctx, k, doc, cas, expiry)
}
