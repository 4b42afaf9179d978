package couchdb

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// deleteBatch bounds the documents that one _find and one _bulk_docs of
// DeleteExpired carry.
const deleteBatch = 500

// The cleaner's lease: a document that one instance at a time holds, so
// that instances do not all search and delete the same expired documents.
const (
	leaseID = "scopestore-cleaner-lease"
	// leaseTime is how long a lease lasts after the holder's last batch:
	// the engine calls DeleteExpired batch after batch, each renewing it,
	// and a pass that ends releases it; an instance that dies holding it
	// blocks the others for this long.
	leaseTime = time.Minute
)

// leaseDoc is the lease's document. Its time is "until", not "expires",
// so that the cleaner's _find never meets it.
type leaseDoc struct {
	ID    string `json:"_id"`
	Rev   string `json:"_rev,omitempty"`
	Type  string `json:"type"`
	Owner string `json:"owner"`
	Until int64  `json:"until"`
}

// DeleteExpired deletes up to limit documents that expired at now and
// returns their keys. It finds them with _find on the expires index and
// deletes them with _bulk_docs, each with the _rev found, in batches of
// deleteBatch: a document written meanwhile (a visit) is kept, and one
// deleted by another cleaner is reported by that one only. While another
// instance holds the cleaner's lease it deletes nothing and returns none.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) ([]scopes.Key, error) {
	if limit <= 0 {
		return nil, nil
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	// The lease keeps other instances out; this keeps this one's own
	// callers from deleting side by side.
	s.cleanMu.Lock()
	defer s.cleanMu.Unlock()
	held, err := s.takeLease(ctx, true)
	if err != nil || !held {
		return nil, err
	}
	var keys []scopes.Key
	done := false
	defer func() {
		if done || err != nil {
			// The pass is over: let the next instance's pass start at once.
			_, _ = s.takeLease(context.WithoutCancel(ctx), false)
		}
	}()
	// Each round deletes at least one document or ends, save for rounds
	// in which every document found was written meanwhile: bounded too.
	for rounds := 0; len(keys) < limit && rounds < limit/deleteBatch+maxAttempts; rounds++ {
		batch := min(limit-len(keys), deleteBatch)
		found, ferr := s.findExpired(ctx, now, batch)
		if ferr != nil {
			err = ferr
			return keys, err
		}
		deleted, derr := s.deleteDocs(ctx, found)
		keys = append(keys, deleted...)
		if derr != nil {
			err = derr
			return keys, err
		}
		if len(found) < batch {
			break
		}
	}
	done = len(keys) < limit
	return keys, nil
}

// expiredDoc is what _find returns of an expired scope.
type expiredDoc struct {
	ID   string `json:"_id"`
	Rev  string `json:"_rev"`
	App  string `json:"app"`
	Kind string `json:"kind"`
	CFID string `json:"cfid"`
}

// findExpired returns up to limit documents that expired at now.
func (s *Store) findExpired(ctx context.Context, now time.Time, limit int) ([]expiredDoc, error) {
	req := map[string]any{
		// Expired is Expires at or before now, in whole milliseconds.
		"selector":  map[string]any{"expires": map[string]any{"$lte": now.UnixMilli()}, "type": docType},
		"fields":    []string{"_id", "_rev", "app", "kind", "cfid"},
		"limit":     limit,
		"use_index": []string{indexDoc, indexName},
	}
	var status int
	var body []byte
	var err error
	for range maxAttempts {
		status, body, err = s.call(ctx, http.MethodPost, "/_find", req)
		if err != nil {
			return nil, s.readError("delete expired: find", err)
		}
		// PouchDB fails a _find that meets a document deleted while it
		// ran (CouchDB does not): ask again.
		if status != http.StatusBadRequest || !strings.Contains(parseError(body).Reason, "of undefined") {
			break
		}
	}
	if status != http.StatusOK {
		return nil, s.statusError("delete expired: find", status, body)
	}
	var res struct {
		Docs []expiredDoc `json:"docs"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, s.unavailable("delete expired: find", "it answered _find with something that is not JSON", err)
	}
	return res.Docs, nil
}

// deleteDocs deletes docs, each at the _rev found, with one _bulk_docs,
// and returns the keys of those it deleted.
func (s *Store) deleteDocs(ctx context.Context, docs []expiredDoc) ([]scopes.Key, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	type tombstone struct {
		ID      string `json:"_id"`
		Rev     string `json:"_rev"`
		Deleted bool   `json:"_deleted"`
	}
	req := struct {
		Docs []tombstone `json:"docs"`
	}{make([]tombstone, len(docs))}
	byID := make(map[string]expiredDoc, len(docs))
	for i, d := range docs {
		req.Docs[i] = tombstone{ID: d.ID, Rev: d.Rev, Deleted: true}
		byID[d.ID] = d
	}
	status, body, err := s.call(ctx, http.MethodPost, "/_bulk_docs", req)
	if err != nil {
		// Unknown outcome: those deleted are found gone by the next
		// pass and never reported; the engine's webhook is at least once
		// for what it is told, and this loses only the notices.
		return nil, s.writeError("delete expired", err)
	}
	if status != http.StatusCreated && status != http.StatusAccepted {
		return nil, s.writeStatusError("delete expired", status, body)
	}
	var results []struct {
		ID    string `json:"id"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &results); err != nil {
		return nil, s.unavailable("delete expired", "it answered _bulk_docs with something that is not JSON", err)
	}
	var keys []scopes.Key
	for _, r := range results {
		d, ok := byID[r.ID]
		if !r.OK || !ok {
			continue // a conflict: written or deleted meanwhile
		}
		s.revs.drop(r.ID)
		key, ok := keyOf(d)
		if !ok {
			continue
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// keyOf returns the key of a scope's document, from its fields, or from its
// id when they are missing.
func keyOf(d expiredDoc) (scopes.Key, bool) {
	if d.App != "" && d.Kind != "" && d.CFID != "" {
		return scopes.Key{App: d.App, Kind: scopes.Kind(d.Kind), CFID: d.CFID}, true
	}
	parts := strings.SplitN(d.ID, ":", 4)
	if len(parts) != 4 || parts[0] != "scope" {
		return scopes.Key{}, false
	}
	return scopes.Key{Kind: scopes.Kind(parts[1]), App: parts[2], CFID: parts[3]}, true
}

// takeLease takes or renews the cleaner's lease (take true), or releases it
// if this Store holds it (take false). held is false, with no error, while
// another instance holds it. The lease's time is this host's clock: the
// instances' clocks need agree to well within leaseTime.
func (s *Store) takeLease(ctx context.Context, take bool) (held bool, err error) {
	now := time.Now()
	for range maxAttempts {
		status, body, err := s.call(ctx, http.MethodGet, docPath(leaseID), nil)
		if err != nil {
			return false, s.readError("delete expired: lease", err)
		}
		var cur leaseDoc
		switch {
		case status == http.StatusOK:
			if err := json.Unmarshal(body, &cur); err != nil {
				return false, s.unavailable("delete expired: lease", "it answered a lease that is not JSON", err)
			}
		case status == http.StatusNotFound && !noDatabase(body):
		default:
			return false, s.statusError("delete expired: lease", status, body)
		}
		mine := cur.Owner == s.instance
		if !take && !mine {
			return false, nil
		}
		if take && !mine && cur.Until > now.UnixMilli() {
			return false, nil
		}
		next := leaseDoc{ID: leaseID, Rev: cur.Rev, Type: "lease", Owner: s.instance, Until: now.Add(leaseTime).UnixMilli()}
		if !take {
			next.Until = 0
		}
		status, body, err = s.call(ctx, http.MethodPut, docPath(leaseID), next)
		if err != nil {
			// Taken or not, it lapses by itself after leaseTime.
			return false, s.readError("delete expired: lease", err)
		}
		switch status {
		case http.StatusCreated, http.StatusAccepted:
			return take, nil
		case http.StatusConflict:
			continue // another instance wrote it: read who holds it now
		}
		return false, s.statusError("delete expired: lease", status, body)
	}
	return false, nil
}
