package couchbase

import (
	"context"
	"errors"
	"time"

	"github.com/couchbase/gocb/v2"

	"github.com/scopestore/scopestore/scopes"
)

// listStatement finds the cfids of a page, covered by the index
// scopestore_list: no document is read by the query service.
const listStatement = "SELECT RAW d.`cfid` FROM %s AS d WHERE d.`type` = \"" + docType + "\"" +
	" AND d.`app` = $app AND d.`kind` = $kind AND d.`cfid` > $after AND d.`expires` > $now ORDER BY d.`cfid` LIMIT $limit"

// countStatement counts an app's live scopes of one kind, covered by the
// index scopestore_list.
const countStatement = "SELECT RAW COUNT(*) FROM %s AS d WHERE d.`type` = \"" + docType + "\"" +
	" AND d.`app` = $app AND d.`kind` = $kind AND d.`expires` > $now"

// List returns up to limit unexpired records of an app's scopes of one kind
// whose cfid sorts after after, in cfid order. A SQL++ query on the index
// scopestore_list finds the page's cfids in order, and one bulk get reads
// their documents, byte for byte as stored (a query would return the data
// re-encoded). A document gone or expired since the query, or one that does
// not decode (logged), is skipped, and the page is filled from the cfids
// after it, so that neither ends the listing early.
func (s *Store) List(ctx context.Context, app string, kind scopes.Kind, after string, limit int, now time.Time) ([]scopes.Record, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	out := make([]scopes.Record, 0, min(limit, 1000))
	for len(out) < limit {
		want := limit - len(out)
		cfids, err := query[string](ctx, s, s.statement(listStatement), map[string]any{
			"app": app, "kind": string(kind), "after": after, "now": now.UnixMilli(), "limit": want,
		})
		if err != nil {
			return nil, s.readError("list", err)
		}
		recs, err := s.getMany(ctx, app, kind, cfids, now)
		if err != nil {
			return nil, s.readError("list", err)
		}
		out = append(out, recs...)
		if len(cfids) < want {
			break
		}
		after = cfids[len(cfids)-1]
	}
	return out, nil
}

// getMany reads the documents of cfids in one bulk get and returns the
// records live at now, in the order of cfids.
func (s *Store) getMany(ctx context.Context, app string, kind scopes.Kind, cfids []string, now time.Time) ([]scopes.Record, error) {
	if len(cfids) == 0 {
		return nil, nil
	}
	keys := make([]scopes.Key, 0, len(cfids))
	ops := make([]gocb.BulkOp, 0, len(cfids))
	gets := make([]*gocb.GetOp, 0, len(cfids))
	for _, cfid := range cfids {
		key := scopes.Key{App: app, Kind: kind, CFID: cfid}
		k, err := docKey(key)
		if err != nil {
			continue // not a key of scopestore's: the index cannot hold it
		}
		op := &gocb.GetOp{ID: k}
		keys, ops, gets = append(keys, key), append(ops, op), append(gets, op)
	}
	if err := s.coll.Do(ops, s.bulkOptions(ctx)); err != nil {
		return nil, err
	}
	out := make([]scopes.Record, 0, len(gets))
	for i, op := range gets {
		switch {
		case errors.Is(op.Err, gocb.ErrDocumentNotFound):
			continue
		case op.Err != nil:
			return nil, op.Err
		}
		var value []byte
		if err := op.Result.Content(&value); err != nil {
			return nil, err
		}
		rec, _, err := decodeDocument(keys[i], value)
		if err != nil {
			s.log.WarnContext(ctx, "skipping a stored scope that does not decode", "app", app, "kind", kind, "cfid", keys[i].CFID, "err", err)
			continue
		}
		if !rec.Expired(now) {
			out = append(out, rec)
		}
	}
	return out, nil
}

// Count returns the number of an app's scopes of one kind that are live at
// now: one SQL++ COUNT on the index scopestore_list, at request_plus
// consistency, which reads the index entries of the app's scopes of that
// kind but no document. It is exact.
func (s *Store) Count(ctx context.Context, app string, kind scopes.Kind, now time.Time) (int64, bool, error) {
	if err := checkKind(kind); err != nil {
		return 0, false, err
	}
	n, err := query[int64](ctx, s, s.statement(countStatement), map[string]any{
		"app": app, "kind": string(kind), "now": now.UnixMilli(),
	})
	if err != nil {
		return 0, false, s.readError("count", err)
	}
	if len(n) != 1 {
		return 0, false, s.readError("count", errors.New("the query returned no count"))
	}
	return n[0], true, nil
}

// bulkOptions are the options of a bulk get or remove: the raw transcoder,
// and a timeout of its own, because gocb's default for a bulk operation is
// the KV timeout times the number of documents (40 minutes for the
// cleaner's thousand while the cluster is down), and it does not heed the
// context's deadline, which bounds it here too.
func (s *Store) bulkOptions(ctx context.Context) *gocb.BulkOpOptions {
	timeout := bulkTimeouts * s.cfg.kvTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = max(min(timeout, time.Until(deadline)), time.Millisecond)
	}
	return &gocb.BulkOpOptions{Context: ctx, Transcoder: s.transcoder, Timeout: timeout}
}

// bulkTimeouts is how many KV timeouts a bulk operation may take.
const bulkTimeouts = 4
