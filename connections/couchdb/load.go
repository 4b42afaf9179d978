package couchdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// scopeDoc is the document of one scope instance (see the package doc).
type scopeDoc struct {
	ID      string   `json:"_id"`
	Rev     string   `json:"_rev,omitempty"`
	Type    string   `json:"type"`
	App     string   `json:"app"`
	Kind    string   `json:"kind"`
	CFID    string   `json:"cfid"`
	Expires int64    `json:"expires"`
	Writes  []string `json:"writes"`
	Value   string   `json:"value"`
}

// docType is the type of a scope's document, which the view counts.
const docType = "scope"

// errConflicts is the cause of a request that kept meeting other writers.
var errConflicts = errors.New("conflicting writes")

// Load returns the record under key unless it is missing or expired at now:
// one GET.
func (s *Store) Load(ctx context.Context, key scopes.Key, now time.Time) (scopes.Record, bool, error) {
	id, err := docID(key)
	if err != nil {
		return scopes.Record{}, false, err
	}
	if err := s.prepare(ctx); err != nil {
		return scopes.Record{}, false, err
	}
	doc, found, err := s.get(ctx, "load "+key.App+" "+string(key.Kind), id)
	if err != nil || !found {
		return scopes.Record{}, false, err
	}
	rec, err := decode(key, doc)
	if err != nil {
		return scopes.Record{}, false, err
	}
	s.revs.put(id, docState{docRev: doc.Rev, recRev: rec.Rev, expires: rec.Expires, writes: doc.Writes})
	if rec.Expired(now) {
		return scopes.Record{}, false, nil
	}
	return rec, true, nil
}

// get reads a document; found is false when there is none (or only a
// deleted one's tombstone).
func (s *Store) get(ctx context.Context, op, id string) (scopeDoc, bool, error) {
	status, body, err := s.call(ctx, http.MethodGet, docPath(id), nil)
	if err != nil {
		return scopeDoc{}, false, s.readError(op, err)
	}
	switch {
	case status == http.StatusNotFound && !noDatabase(body):
		return scopeDoc{}, false, nil
	case status != http.StatusOK:
		return scopeDoc{}, false, s.statusError(op, status, body)
	}
	var doc scopeDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return scopeDoc{}, false, s.unavailable(op, "it answered a document that is not JSON", err)
	}
	return doc, true, nil
}

// decode returns the record of a scope's document; a document that is not
// one of scopestore's scopes is an *scopes.Error with code ECorrupt.
func decode(key scopes.Key, doc scopeDoc) (scopes.Record, error) {
	if doc.Type != docType || doc.Value == "" {
		return scopes.Record{}, &scopes.Error{Code: scopes.ECorrupt,
			Err: fmt.Errorf("couchdb: document %s has type %q and no value", doc.ID, doc.Type),
			Message: "the stored " + string(key.Kind) + " scope " + key.CFID + " of app " + key.App +
				" is not in scopestore's format (written by another program?); delete it to start afresh"}
	}
	return scopes.DecodeRecord(key, []byte(doc.Value))
}
