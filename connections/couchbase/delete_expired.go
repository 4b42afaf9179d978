package couchbase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/couchbase/gocb/v2"

	"github.com/scopestore/scopestore/scopes"
)

// expiredStatement finds scopes that expired, covered by the index
// scopestore_expires (which holds each document's key too): it reads what
// expired, not what lives.
const expiredStatement = "SELECT META(d).id, d.`app`, d.`kind`, d.`cfid` FROM %s AS d WHERE d.`type` = \"" + docType + "\"" +
	" AND d.`expires` <= $now LIMIT $limit"

// statement returns a statement with the store's keyspace in it.
func (s *Store) statement(format string) string { return fmt.Sprintf(format, s.keyspace) }

// DeleteExpired deletes up to limit scopes that expired at now and returns
// their keys, so that their apps can be told (the end-of-session webhook).
// A document outlives its scope by expiryGrace, a day: a SQL++ query on the
// index scopestore_expires finds the documents whose expires passed, one
// bulk get reads them with their CAS, and one bulk remove deletes each whose
// expires (the document's own, which the index holds) has still passed,
// with that CAS, so that a scope written again meanwhile stays. A scope is
// reported by the call whose remove deleted it, so once, even when instances
// clean at once. A document found so that is not under its scope's key, or
// whose record does not decode, is deleted all the same, so that it cannot
// take the query's places on every pass, and reported only when its key is
// its scope's. A scope whose document Couchbase removed by itself, because
// no cleaner ran for expiryGrace, is not reported.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) ([]scopes.Key, error) {
	if limit <= 0 {
		return nil, nil
	}
	type row struct {
		ID   string `json:"id"`
		App  string `json:"app"`
		Kind string `json:"kind"`
		CFID string `json:"cfid"`
	}
	rows, err := query[row](ctx, s, s.statement(expiredStatement), map[string]any{"now": now.UnixMilli(), "limit": limit})
	if err != nil {
		return nil, s.readError("delete expired", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	gets := make([]gocb.BulkOp, len(rows))
	for i, r := range rows {
		gets[i] = &gocb.GetOp{ID: r.ID}
	}
	if err := s.coll.Do(gets, s.bulkOptions(ctx)); err != nil {
		return nil, s.readError("delete expired: read", err)
	}
	var removes []gocb.BulkOp
	var removed []scopes.Key // the key of each remove; App "" when none is reported
	var errs []error
	for i, op := range gets {
		get := op.(*gocb.GetOp)
		if errors.Is(get.Err, gocb.ErrDocumentNotFound) {
			continue // deleted meanwhile
		}
		if get.Err != nil {
			errs = append(errs, get.Err) // read again next time
			continue
		}
		var value []byte
		if err := get.Result.Content(&value); err != nil {
			errs = append(errs, err)
			continue
		}
		var d document
		if err := json.Unmarshal(value, &d); err != nil || d.Type != docType || d.Expires > now.UnixMilli() {
			continue // written again since, or no longer scopestore's
		}
		key := scopes.Key{App: rows[i].App, Kind: scopes.Kind(rows[i].Kind), CFID: rows[i].CFID}
		if k, err := docKey(key); err != nil || k != get.ID {
			s.log.WarnContext(ctx, "deleting an expired scopestore document that is not under its scope's key", "id", get.ID)
			key = scopes.Key{}
		} else if _, _, err := decodeDocument(key, value); err != nil {
			s.log.WarnContext(ctx, "deleting an expired scope that does not decode", "app", key.App, "kind", key.Kind, "cfid", key.CFID, "err", err)
		}
		removes = append(removes, &gocb.RemoveOp{ID: get.ID, Cas: get.Result.Cas()})
		removed = append(removed, key)
	}
	var out []scopes.Key
	var doErr error
	if len(removes) > 0 {
		doErr = s.coll.Do(removes, s.bulkOptions(ctx))
	}
	for i, op := range removes {
		rm := op.(*gocb.RemoveOp)
		switch {
		case rm.Err == nil && rm.Result != nil:
			if removed[i].App != "" {
				out = append(out, removed[i])
			}
		case rm.Err == nil, errors.Is(rm.Err, gocb.ErrCasMismatch), errors.Is(rm.Err, gocb.ErrDocumentNotFound):
			// Written again, or deleted by another instance's cleaner, which
			// reports it.
		default:
			errs = append(errs, rm.Err)
		}
	}
	if doErr != nil {
		errs = append(errs, doErr)
	}
	if len(errs) > 0 {
		return out, s.readError("delete expired", errors.Join(errs...))
	}
	return out, nil
}
