package couchdb

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// The design documents that the store creates in its database.
const (
	// indexDoc and indexName name the Mango index on expires that
	// DeleteExpired's _find uses.
	indexDoc  = "scopestore-expires"
	indexName = "expires"
	// viewDoc holds the view liveView, by which Count counts an app's
	// unexpired scopes of one kind without reading them.
	viewDoc  = "_design/scopestore"
	liveView = "live"
	// liveMap emits [app, kind, expires] per scope, so that the live
	// scopes of one app and kind are one key range, counted by _count.
	liveMap = "function (doc) { if (doc.type === 'scope') { emit([doc.app, doc.kind, doc.expires], null); } }"
)

// designDoc is the view's design document.
type designDoc struct {
	ID       string          `json:"_id"`
	Rev      string          `json:"_rev,omitempty"`
	Language string          `json:"language"`
	Views    map[string]view `json:"views"`
}

type view struct {
	Map    string `json:"map"`
	Reduce string `json:"reduce,omitempty"`
}

func wantDesign() designDoc {
	return designDoc{ID: viewDoc, Language: "javascript",
		Views: map[string]view{liveView: {Map: liveMap, Reduce: "_count"}}}
}

// prepare creates, once per Store, what the store needs in the database:
// the database itself unless it exists, the index and the view. It runs on
// first use rather than in Open, so that a server that is down does not
// stop scopestore from starting; a failure is tried again on the next use.
func (s *Store) prepare(ctx context.Context) error {
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	if s.ready {
		return nil
	}
	// Requests wait here for each other: while the server does not answer,
	// those that come within prepareRetry of a failure share it rather
	// than each waiting out a timeout in turn.
	if s.prepareErr != nil && time.Since(s.preparedAt) < prepareRetry {
		return s.prepareErr
	}
	err := s.createDatabase(ctx)
	if err == nil {
		err = s.createIndex(ctx)
	}
	if err == nil {
		err = s.createView(ctx)
	}
	s.ready, s.prepareErr, s.preparedAt = err == nil, err, time.Now()
	return err
}

// prepareRetry is how long a failure to prepare the database is the
// answer to every request, before the next request tries again.
const prepareRetry = 500 * time.Millisecond

// forget makes the next use prepare the database again, after an answer
// said that it is missing (deleted behind scopestore's back).
func (s *Store) forget() {
	s.readyMu.Lock()
	s.ready, s.prepareErr = false, nil
	s.readyMu.Unlock()
}

// createDatabase creates the database unless it exists. It asks first, so
// that a user who may use the database but not create one is served.
func (s *Store) createDatabase(ctx context.Context) error {
	status, body, err := s.do(ctx, http.MethodGet, "", nil)
	if err != nil {
		return s.readError("open database", err)
	}
	switch {
	case status == http.StatusOK:
		return nil
	case status != http.StatusNotFound:
		return s.statusError("open database", status, body)
	}
	status, body, err = s.do(ctx, http.MethodPut, "", nil)
	if err != nil {
		return s.readError("create database", err)
	}
	switch status {
	case http.StatusCreated, http.StatusAccepted, http.StatusPreconditionFailed: // 412: another instance made it
		return nil
	}
	if status == http.StatusNotFound {
		// Not "the database does not exist": the user may not create it.
		return s.unavailable("create database", "the database does not exist, and creating it was refused",
			s.statusError("create database", status, body))
	}
	return s.statusError("create database", status, body)
}

// createIndex creates the Mango index on expires; CouchDB answers "exists"
// when it is there.
func (s *Store) createIndex(ctx context.Context) error {
	req := map[string]any{
		"index": map[string]any{"fields": []string{"expires"}},
		"name":  indexName, "ddoc": indexDoc, "type": "json",
	}
	status, body, err := s.do(ctx, http.MethodPost, "/_index", req)
	if err != nil {
		return s.readError("create index", err)
	}
	if status != http.StatusOK && status != http.StatusCreated {
		return s.statusError("create index", status, body)
	}
	return nil
}

// createView creates the view's design document, or updates one that an
// older version left with another map function.
func (s *Store) createView(ctx context.Context) error {
	want := wantDesign()
	for range maxAttempts {
		status, body, err := s.do(ctx, http.MethodPut, docPath(viewDoc), want)
		if err != nil {
			return s.readError("create view", err)
		}
		switch status {
		case http.StatusCreated, http.StatusAccepted:
			return nil
		case http.StatusConflict:
		default:
			return s.statusError("create view", status, body)
		}
		status, body, err = s.do(ctx, http.MethodGet, docPath(viewDoc), nil)
		if err != nil {
			return s.readError("read view", err)
		}
		if status != http.StatusOK {
			continue // deleted meanwhile: create it
		}
		var have designDoc
		if err := json.Unmarshal(body, &have); err != nil {
			return s.unavailable("read view", "it answered a design document that is not JSON", err)
		}
		if v := have.Views[liveView]; v.Map == liveMap && v.Reduce == "_count" {
			return nil
		}
		want.Rev = have.Rev
	}
	return s.unavailable("create view", "the design document "+viewDoc+" kept changing", errConflicts)
}
