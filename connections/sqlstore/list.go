package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// listRow is a row as List reads it.
type listRow struct {
	CFID string `db:"cfid"`
	Data []byte `db:"data"`
	Rev  string `db:"rev"`
}

// List returns up to limit unexpired records of an app's scopes of one kind
// whose cfid sorts after after, in cfid order, reading them through the
// (name, cfid) index. A row that does not decode is logged and skipped, and
// the page is filled from the rows after it, so that one foreign row neither
// breaks the listing nor ends it early.
func (s *Store) List(ctx context.Context, app string, kind scopes.Kind, after string, limit int, now time.Time) ([]scopes.Record, error) {
	st, err := s.table(kind)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	if err := s.readyFor(ctx, kind); err != nil {
		return nil, err
	}
	out := make([]scopes.Record, 0, min(limit, 1000))
	nowMillis := millis(now)
	for len(out) < limit {
		want := limit - len(out)
		var rows []listRow
		if err := s.reader.SelectContext(ctx, &rows, st.list, app, after, nowMillis, want); err != nil {
			return nil, fmt.Errorf("sqlstore: list %s: %w", st.table, err)
		}
		for _, r := range rows {
			key := scopes.Key{App: app, Kind: kind, CFID: r.CFID}
			rec, err := scopes.DecodeRecord(key, r.Data)
			if err != nil {
				s.log.WarnContext(ctx, "skipping a stored scope that does not decode",
					"table", st.table, "app", app, "cfid", r.CFID, "err", err)
				continue
			}
			rec.Rev = rowRev(r.Rev, rec)
			out = append(out, rec)
		}
		if len(rows) < want {
			break
		}
		after = rows[len(rows)-1].CFID
	}
	return out, nil
}
