package couchdb

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// maxAttempts bounds how often a write or a delete reads and tries again
// after a 409: each one means that another writer's request went through,
// so a write that loses this often is under heavy contention and answers
// with the live record, as a lost compare-and-set does.
const maxAttempts = 20

// recentWrites is how many revs a document remembers in writes, by which a
// write sent again is recognised (see the package doc).
const recentWrites = 16

// Write writes rec if the live record under its key meets expect (see
// scopes.Store.Write and the package doc). A create is one PUT; a write
// based on the record this Store last read or wrote of the document is one
// PUT at the _rev it had then (see revCache); any other write, or one that
// meets a 409 there, is a GET and a PUT at the _rev read.
func (s *Store) Write(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	id, err := docID(rec.Key)
	if err != nil {
		return scopes.WriteResult{}, err
	}
	if rec.Rev == "" {
		return scopes.WriteResult{}, scopes.Errorf(scopes.EInvalid, "a record to write needs a rev (scopes.NewRev)")
	}
	if err := s.prepare(ctx); err != nil {
		return scopes.WriteResult{}, err
	}
	rec = stored(rec)
	op := "write " + rec.App + " " + string(rec.Kind)
	doc := scopeDoc{ID: id, Type: docType, App: rec.App, Kind: string(rec.Kind), CFID: rec.CFID,
		Expires: rec.Expires.UnixMilli(), Value: string(scopes.EncodeRecord(rec))}
	written := scopes.WriteResult{Written: true, Rec: rec, Found: true}
	// try PUTs doc at docRev after writes; ok is false on a 409.
	try := func(docRev string, writes []string) (bool, error) {
		doc.Rev, doc.Writes = docRev, nextWrites(writes, rec.Rev)
		newRev, ok, err := s.put(ctx, op, doc)
		if ok {
			s.revs.put(id, docState{docRev: newRev, recRev: rec.Rev, expires: rec.Expires, writes: doc.Writes})
		}
		return ok, err
	}

	var first func() (bool, error)
	if st, known := s.revs.get(id); expect == scopes.ExpectAbsent {
		// Most creates meet no document: PUT without a _rev, which CouchDB
		// refuses with 409 where one lives.
		first = func() (bool, error) { return try("", nil) }
	} else if known && (expect == scopes.ExpectAny || expect == st.recRev && now.Before(st.expires)) {
		// At the _rev remembered, CouchDB accepts the PUT only while the
		// document still holds that live record.
		first = func() (bool, error) { return try(st.docRev, st.writes) }
	}
	if first != nil {
		ok, err := first()
		if err != nil {
			return scopes.WriteResult{}, err
		}
		if ok {
			return written, nil
		}
	}
	var cur scopes.Record
	live := false
	for range maxAttempts {
		have, exists, err := s.get(ctx, op, id)
		if err != nil {
			return scopes.WriteResult{}, err
		}
		if exists && slices.Contains(have.Writes, rec.Rev) {
			return written, nil // this write, sent before, was applied
		}
		cur, live = scopes.Record{}, false
		if exists {
			c, err := decode(rec.Key, have)
			switch {
			case err == nil:
				cur, live = c, !c.Expired(now)
				s.revs.put(id, docState{docRev: have.Rev, recRev: c.Rev, expires: c.Expires, writes: have.Writes})
			case expect != scopes.ExpectAny:
				return scopes.WriteResult{}, err
			}
		}
		if !scopes.Matches(expect, cur, live) {
			if !live {
				cur = scopes.Record{}
			}
			return scopes.WriteResult{Rec: cur, Found: live}, nil
		}
		if !exists {
			have = scopeDoc{}
		}
		ok, err := try(have.Rev, have.Writes)
		if err != nil {
			return scopes.WriteResult{}, err
		}
		if ok {
			return written, nil
		}
	}
	if !live {
		cur = scopes.Record{}
	}
	return scopes.WriteResult{Rec: cur, Found: live}, nil
}

// nextWrites returns the writes of a document after the write rev: the
// last recentWrites-1 of writes, and rev.
func nextWrites(writes []string, rev string) []string {
	keep := writes[max(0, len(writes)-(recentWrites-1)):]
	return append(slices.Clone(keep), rev)
}

// put PUTs a scope's document and returns its new _rev; ok is false, with
// no error, when CouchDB answers 409: the _rev is not the document's (or
// it has one, when doc has none).
func (s *Store) put(ctx context.Context, op string, doc scopeDoc) (newRev string, ok bool, err error) {
	status, body, err := s.call(ctx, http.MethodPut, docPath(doc.ID), doc)
	if err != nil {
		return "", false, s.writeError(op, err)
	}
	switch status {
	case http.StatusCreated, http.StatusAccepted:
		var res struct {
			Rev string `json:"rev"`
		}
		_ = json.Unmarshal(body, &res) // without it, the next write reads first
		return res.Rev, true, nil
	case http.StatusConflict:
		return "", false, nil
	}
	return "", false, s.writeStatusError(op, status, body)
}

// Delete removes the document under key, expired or not, and reports
// whether there was one: a GET for its _rev and a DELETE, again when
// another writer came in between.
func (s *Store) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	id, err := docID(key)
	if err != nil {
		return false, err
	}
	if err := s.prepare(ctx); err != nil {
		return false, err
	}
	op := "delete " + key.App + " " + string(key.Kind)
	for range maxAttempts {
		have, exists, err := s.get(ctx, op, id)
		if err != nil || !exists {
			return false, err
		}
		status, body, err := s.call(ctx, http.MethodDelete, docPath(id)+"?rev="+url.QueryEscape(have.Rev), nil)
		if err != nil {
			return false, s.writeError(op, err)
		}
		switch {
		case status == http.StatusOK || status == http.StatusAccepted:
			s.revs.drop(id)
			return true, nil
		case status == http.StatusConflict, status == http.StatusNotFound && !noDatabase(body):
			// Changed or deleted meanwhile (PouchDB answers a stale _rev
			// with 404, CouchDB with 409): read again.
			continue
		}
		return false, s.writeStatusError(op, status, body)
	}
	return false, s.unavailable(op, "the document kept changing under other writers", errConflicts)
}
