package configstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

var _ scopes.HistoryShare = (*Store)(nil)

// instanceHistoryRow is an instance_history row as OtherHistory reads it.
type instanceHistoryRow struct {
	Instance    string `db:"instance_id"`
	Storage     string `db:"storage"`
	Minute      int64  `db:"unix_minute"`
	Ops         int64  `db:"ops"`
	Errors      int64  `db:"errors"`
	Latency     string `db:"latency"`
	Live        int64  `db:"live"`
	LiveCounted bool   `db:"live_counted"`
}

// upsertInstanceHistory returns the dialect's INSERT that replaces the row
// of the same instance, storage and minute.
func (s *Store) upsertInstanceHistory() string {
	const insert = `INSERT INTO instance_history (instance_id, storage, unix_minute, ops, errors, latency, live, live_counted, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if s.dialect == DialectMySQL {
		return insert + ` ON DUPLICATE KEY UPDATE ops = VALUES(ops), errors = VALUES(errors), latency = VALUES(latency),
			live = VALUES(live), live_counted = VALUES(live_counted), updated_at = VALUES(updated_at)`
	}
	return s.q(insert + ` ON CONFLICT (instance_id, storage, unix_minute) DO UPDATE SET ops = excluded.ops,
		errors = excluded.errors, latency = excluded.latency, live = excluded.live,
		live_counted = excluded.live_counted, updated_at = excluded.updated_at`)
}

// PublishHistory keeps instance's buckets in instance_history, in place of
// the rows of the same instance, storage and minute, and deletes every
// instance's rows of minutes that began before since, in one transaction.
// A bucket of another instance, or whose names the columns cannot hold, is
// refused.
func (s *Store) PublishHistory(ctx context.Context, instance string, buckets []scopes.HistoryBucket, since time.Time) error {
	if err := checkName("instance", instance); err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.wrap("publish the instance's history", err)
	}
	defer func() { _ = tx.Rollback() }()
	if len(buckets) > 0 {
		stmt, err := tx.PreparexContext(ctx, s.upsertInstanceHistory())
		if err != nil {
			return s.wrap("publish the instance's history", err)
		}
		defer stmt.Close()
		updated := dbTime(time.Now())
		for _, b := range buckets {
			if b.Instance != instance {
				return scopes.Errorf(scopes.EInvalid, "a bucket of instance %q published as instance %q's", b.Instance, instance)
			}
			if err := checkName("storage", b.Storage); err != nil {
				return err
			}
			latency, err := json.Marshal(b.Latency)
			if err != nil {
				return fmt.Errorf("configstore: encode the latency histogram: %w", err)
			}
			if _, err := stmt.ExecContext(ctx, instance, b.Storage, scopes.UnixMinute(b.Minute), b.Ops, b.Errors, string(latency),
				b.Live, b.LiveCounted, updated); err != nil {
				return s.wrap("publish the instance's history", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM instance_history WHERE unix_minute < ?`), scopes.UnixMinute(since)); err != nil {
		return s.wrap("delete the instances' history past the hour", err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrap("publish the instance's history", err)
	}
	return nil
}

// OtherHistory returns the buckets of the minutes that began at since or
// later, of every instance but instance, oldest first. A row whose latency
// histogram does not decode keeps its counts without its histogram.
func (s *Store) OtherHistory(ctx context.Context, instance string, since time.Time) ([]scopes.HistoryBucket, error) {
	var rows []instanceHistoryRow
	err := s.db.SelectContext(ctx, &rows, s.q(`SELECT instance_id, storage, unix_minute, ops, errors, latency, live, live_counted
		FROM instance_history WHERE unix_minute >= ? AND instance_id <> ?
		ORDER BY unix_minute, instance_id, storage`), scopes.UnixMinute(since), instance)
	if err != nil {
		return nil, s.wrap("read the other instances' history", err)
	}
	out := make([]scopes.HistoryBucket, 0, len(rows))
	for _, r := range rows {
		b := scopes.HistoryBucket{Instance: r.Instance, Storage: r.Storage, Minute: time.Unix(r.Minute*60, 0).UTC(),
			Ops: r.Ops, Errors: r.Errors, Live: r.Live, LiveCounted: r.LiveCounted}
		if r.Latency != "" && r.Latency != "null" {
			if err := json.Unmarshal([]byte(r.Latency), &b.Latency); err != nil {
				b.Latency = nil
			}
		}
		out = append(out, b)
	}
	return out, nil
}
