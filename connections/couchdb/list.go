package couchdb

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// rangeEnd closes an id range: every id of the range sorts before the
// prefix followed by it, in CouchDB's raw order of ids as in PouchDB's.
const rangeEnd = "\ufff0"

// listPage bounds the documents that one _all_docs request of List reads.
const listPage = 1000

// List returns up to limit unexpired records of an app's scopes of one kind
// whose cfid sorts after after, in cfid order, reading the id range of
// _all_docs with the documents. Expired documents are skipped, and a
// document that does not decode is logged and skipped; the page is filled
// from the documents after them.
func (s *Store) List(ctx context.Context, app string, kind scopes.Kind, after string, limit int, now time.Time) ([]scopes.Record, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	op := "list " + app + " " + string(kind)
	prefix := rangePrefix(app, kind)
	out := make([]scopes.Record, 0, min(limit, listPage))
	for len(out) < limit {
		// One more than wanted: the first may be after itself.
		want := min(limit-len(out), listPage) + 1
		q := url.Values{}
		q.Set("include_docs", "true")
		q.Set("startkey", jsonString(prefix+after))
		q.Set("endkey", jsonString(prefix+rangeEnd))
		q.Set("limit", strconv.Itoa(want))
		status, body, err := s.call(ctx, http.MethodGet, "/_all_docs?"+q.Encode(), nil)
		if err != nil {
			return nil, s.readError(op, err)
		}
		if status != http.StatusOK {
			return nil, s.statusError(op, status, body)
		}
		var page struct {
			Rows []struct {
				ID  string    `json:"id"`
				Doc *scopeDoc `json:"doc"`
			} `json:"rows"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, s.unavailable(op, "it answered _all_docs with something that is not JSON", err)
		}
		for _, r := range page.Rows {
			cfid := r.ID[min(len(prefix), len(r.ID)):]
			if cfid <= after || r.Doc == nil || len(out) == limit {
				continue
			}
			key := scopes.Key{App: app, Kind: kind, CFID: cfid}
			rec, err := decode(key, *r.Doc)
			if err != nil {
				slog.Default().WarnContext(ctx, "skipping a stored scope that does not decode",
					"store", "couchdb", "connection", s.name, "id", r.ID, "err", err)
				continue
			}
			if !rec.Expired(now) {
				out = append(out, rec)
			}
		}
		if len(page.Rows) < want {
			break
		}
		after = page.Rows[len(page.Rows)-1].ID[len(prefix):]
	}
	return out, nil
}

// Count returns the number of unexpired scopes of an app's kind at now,
// exact: the sum (_count) of the view live over the keys [app, kind,
// expires] with expires after now, which CouchDB answers from the view's
// reduced nodes without reading the documents.
func (s *Store) Count(ctx context.Context, app string, kind scopes.Kind, now time.Time) (int64, bool, error) {
	if err := checkKind(kind); err != nil {
		return 0, false, err
	}
	if err := s.prepare(ctx); err != nil {
		return 0, false, err
	}
	op := "count " + app + " " + string(kind)
	// Live is Expires after now; Expires is kept in whole milliseconds.
	start, _ := json.Marshal([]any{app, kind, now.UnixMilli() + 1})
	end, _ := json.Marshal([]any{app, kind, map[string]any{}})
	q := url.Values{}
	q.Set("startkey", string(start))
	q.Set("endkey", string(end))
	q.Set("reduce", "true")
	status, body, err := s.call(ctx, http.MethodGet, "/"+viewDoc+"/_view/"+liveView+"?"+q.Encode(), nil)
	if err != nil {
		return 0, false, s.readError(op, err)
	}
	if status != http.StatusOK {
		return 0, false, s.statusError(op, status, body)
	}
	var res struct {
		Rows []struct {
			Value int64 `json:"value"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return 0, false, s.unavailable(op, "it answered the view with something that is not JSON", err)
	}
	if len(res.Rows) == 0 {
		return 0, true, nil
	}
	return res.Rows[0].Value, true, nil
}

// jsonString is s as a JSON string, as CouchDB reads keys in a query.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
