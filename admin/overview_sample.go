package admin

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// LiveSampleInterval is how often a LiveSampler counts: once a minute, the
// resolution of the History, so that the chart of live scopes has a point
// in every minute. It is a constant, not a setting: a count costs each
// storage one cheap query (an index's size on a cache, a COUNT on an
// indexed column of a datasource) per app and kind.
const LiveSampleInterval = time.Minute

// liveSampleTimeout bounds one sample, the reading of the apps' settings
// included; the counts have countTimeout of it, as on the Overview.
const liveSampleTimeout = 30 * time.Second

// LiveSampler counts the live scopes of every app, as the Overview does
// (countScopes), once a minute, and records them per storage in the
// History, so that the chart of live scopes is continuous whoever looks;
// with Connections it also checks the storages' health, as the Overview
// does, so that the lists of caches and datasources show a current one. A
// storage that cannot count (memcached, cookie) or whose count fails gets no
// point, as on the Overview. Every instance counts its own memory and file
// storages; a shared storage (a connection) is counted by one instance, the
// first by name among those that published a count of it in the last two
// minutes (History.CountedElsewhere), since a count visits every live row of
// a SQL storage. The others draw its count; the Overview counts every
// storage as it loads, whichever instance serves it.
type LiveSampler struct {
	a *Console
	// failed holds when each storage's count last failed: it is not asked
	// again for failedBackoff, so that a storage that is down adds one
	// count failure to the Overview's recent errors every few minutes,
	// not one a minute. Samples never overlap, so no lock.
	failed map[string]time.Time
}

// failedBackoff is how long a storage whose count failed is left out of
// the samples.
const failedBackoff = 5 * time.Minute

// NewLiveSampler returns a sampler that counts with o.Engine the apps that
// o.Directory lists and records the counts in o.History; it needs all three.
func NewLiveSampler(o Options) *LiveSampler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &LiveSampler{a: &Console{Options: o}}
}

// Sample counts every app's live scopes once, within liveSampleTimeout, and
// records each storage's sum in the History. It fails only when the apps
// cannot be read; a count that fails leaves its storage without a point.
func (s *LiveSampler) Sample(ctx context.Context) error {
	a := s.a
	if a.Engine == nil || a.History == nil || a.Directory == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, liveSampleTimeout)
	defer cancel()
	rows, err := a.appRows(ctx)
	if err != nil {
		return fmt.Errorf("count live scopes: %w", err)
	}
	apps := make([]overviewApp, len(rows))
	for i, r := range rows {
		apps[i].appRow = r
	}
	// A shared storage that another instance counts is left to it, as
	// the Overview leaves a storage that is down: no count, no point.
	skip := map[string]string{}
	elsewhere, err := a.History.CountedElsewhere(ctx)
	if err != nil {
		// Counting twice is better than not at all.
		a.Logger.Warn("could not read which storages other instances count; counting every one", "err", err)
	}
	for name := range elsewhere {
		skip[name] = "counted by another instance"
	}
	now := time.Now()
	for name, at := range s.failed {
		if now.Sub(at) < failedBackoff {
			skip[name] = "its last count failed"
		} else {
			delete(s.failed, name)
		}
	}
	// The storages' health first, kept for the lists of caches and
	// datasources (health records it when Connections is set).
	// A storage that is down is not counted: the count would only fail.
	if a.Connections != nil {
		_, storages, err := a.health(ctx)
		if err != nil {
			a.Logger.Warn("could not check the storages' health", "err", err)
		}
		for _, r := range storages {
			if !r.OK && skip[r.Name] == "" {
				skip[r.Name] = r.Message
			}
		}
	}
	a.countScopes(ctx, apps, skip)
	for name, note := range a.recordLive(apps) {
		if note.Failed && skip[name] == "" {
			if s.failed == nil {
				s.failed = map[string]time.Time{}
			}
			s.failed[name] = now
		}
	}
	return nil
}

// Run samples in the middle of every minute (away from its edges, so that
// a late sample still lands in its minute) until ctx ends. Samples never
// overlap: the next one waits for the one before.
func (s *LiveSampler) Run(ctx context.Context) {
	t := time.NewTimer(untilMidMinute(time.Now()))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Sample(ctx); err != nil && ctx.Err() == nil {
			s.a.Logger.Warn("could not count the live scopes for the Overview's charts", "err", err)
		}
		t.Reset(untilMidMinute(time.Now()))
	}
}

// untilMidMinute is the time from now to the middle of the next minute
// whose middle is still ahead.
func untilMidMinute(now time.Time) time.Duration {
	next := now.Truncate(LiveSampleInterval).Add(LiveSampleInterval / 2)
	if !next.After(now) {
		next = next.Add(LiveSampleInterval)
	}
	return next.Sub(now)
}
