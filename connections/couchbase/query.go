package couchbase

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/couchbase/gocb/v2"
)

// The secondary indexes of listing, partial indexes over scopestore's
// documents only, so that a collection shared with other data costs them
// nothing. scopestore creates them on the first List, Count or
// DeleteExpired of a store (and Verify), when they are missing; a user
// without the rights to create indexes needs an administrator to run these
// statements once (see connections/README.md).
//
//	scopestore_list:    (app, kind, cfid, expires)  List in cfid order, Count
//	scopestore_expires: (expires, app, kind, cfid)  DeleteExpired
var indexes = []struct{ name, keys string }{
	{"scopestore_list", "`app`, `kind`, `cfid`, `expires`"},
	{"scopestore_expires", "`expires`, `app`, `kind`, `cfid`"},
}

// createIndex is the statement that creates index i on keyspace.
func createIndex(keyspace string, i int) string {
	return "CREATE INDEX `" + indexes[i].name + "` ON " + keyspace + "(" + indexes[i].keys + ") WHERE `type` = \"" + docType + "\""
}

// IndexStatements returns the SQL++ statements that create the indexes a
// Couchbase storage lists, counts and cleans with, on the connection's
// keyspace, for an administrator to run where scopestore's user may not.
func (s *Store) IndexStatements() []string {
	out := make([]string, len(indexes))
	for i := range indexes {
		out[i] = createIndex(s.keyspace, i) + ";"
	}
	return out
}

// ensureIndexes creates the indexes of listing unless this Store did so
// already, or tried within indexRetry. A failure (a user without the Query
// Manage Index role, say) is logged with the statements to run, and the
// query goes on: an administrator may have created the indexes, and when
// none did, the query's own error says that an index is missing.
func (s *Store) ensureIndexes(ctx context.Context) {
	s.indexesMu.Lock()
	defer s.indexesMu.Unlock()
	if s.indexes || !s.indexTried.IsZero() && time.Since(s.indexTried) < indexRetry {
		return
	}
	s.indexTried = time.Now()
	if err := s.createIndexes(ctx); err != nil {
		s.log.WarnContext(ctx, "could not create the indexes of listing; an administrator may run these statements once",
			"statements", strings.Join(s.IndexStatements(), " "), "err", err)
		return
	}
	s.indexes = true
}

// indexRetry is how long a Store waits before it tries again to create
// indexes that it could not create.
const indexRetry = time.Minute

// createIndexes creates the indexes of listing; one that exists is fine.
// Creating an index builds it over the collection's documents before it
// returns, so that the first query finds it ready.
func (s *Store) createIndexes(ctx context.Context) error {
	for i := range indexes {
		// Adhoc: a statement that is no query cannot be prepared.
		res, err := s.cluster.Query(createIndex(s.keyspace, i), &gocb.QueryOptions{Context: ctx, Timeout: indexTimeout, Adhoc: true})
		if err == nil {
			err = res.Close()
		}
		if err != nil && !indexExists(err) {
			return fmt.Errorf("create index %s: %w", indexes[i].name, err)
		}
	}
	return nil
}

// indexExists tells whether a CREATE INDEX failed because the index is
// there already, which gocb reports as ErrIndexExists or, on some server
// versions, only in the message.
func indexExists(err error) bool {
	if errors.Is(err, gocb.ErrIndexExists) {
		return true
	}
	var qe *gocb.QueryError
	if errors.As(err, &qe) {
		for _, e := range qe.Errors {
			if strings.Contains(strings.ToLower(e.Message), "already exist") {
				return true
			}
		}
	}
	return false
}

// query runs a SQL++ statement with named parameters at request_plus
// consistency — the index has every write made before the query, by any
// instance, so that a scope just written is listed and counted — and
// decodes each row into a T.
func query[T any](ctx context.Context, s *Store, statement string, params map[string]any) ([]T, error) {
	s.ensureIndexes(ctx)
	res, err := s.cluster.Query(statement, &gocb.QueryOptions{
		Context:         ctx,
		NamedParameters: params,
		ScanConsistency: gocb.QueryScanConsistencyRequestPlus,
		Readonly:        true,
		// Not Adhoc: gocb prepares each of these few statements once and
		// runs the prepared plan after, as they run often.
		Adhoc: false,
	})
	if err != nil {
		return nil, err
	}
	var out []T
	for res.Next() {
		var row T
		if err := res.Row(&row); err != nil {
			_ = res.Close()
			return nil, err
		}
		out = append(out, row)
	}
	if err := res.Err(); err != nil {
		_ = res.Close()
		return nil, err
	}
	return out, res.Close()
}
