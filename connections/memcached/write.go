package memcached

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/scopestore/scopestore/scopes"
)

// maxWriteAttempts bounds how often a write whose "cas" or "add" lost to
// another writer reads the item again: each loss means another write
// landed, and a write expecting a rev stops at the next read.
const maxWriteAttempts = 100

// Write writes rec if the live record under its key meets expect (see
// scopes.Store.Write). It reads the item with its CAS id ("gets"), checks
// the stored rev, and stores with "cas" over an item that is there (live,
// expired or corrupt) or "add" where there is none; when another write
// lands in between, memcached refuses it and Write reads again. A write
// that expects the rev this Store last read, with its CAS id, skips the read.
//
// The value carries the revs of the writes before it (keptRevs), so that a
// write sent again with the same rev, after a timeout or a broken
// connection, is recognised and not applied twice, even after other writes
// came on top of it. A write that failed before anything was sent (no
// connection could be had, or the read before it failed) is marked
// scopes.ErrNotApplied; any other failure may have applied it, and the
// engine resolves it by sending it again.
func (s *Store) Write(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	k, err := s.keyOf(rec.Key)
	if err != nil {
		return scopes.WriteResult{}, err
	}
	if rec.Rev == "" || strings.ContainsAny(rec.Rev, " \n\r\t\"}") {
		return scopes.WriteResult{}, scopes.Errorf(scopes.EInvalid, "a record to write needs a rev (scopes.NewRev), without spaces")
	}
	if err := ctx.Err(); err != nil {
		return scopes.WriteResult{}, fmt.Errorf("memcached: write %s %s: %w: %w", rec.App, rec.Kind, scopes.ErrNotApplied, err)
	}
	rec = stored(rec)
	written := scopes.WriteResult{Written: true, Rec: rec, Found: true}
	exp := expiration(rec.Expires, now)

	// The item this Store read last, if the caller based rec on it.
	if e, ok := s.seen.get(k); ok && expect != scopes.ExpectAny && expect != scopes.ExpectAbsent && e.rev == expect && now.Before(e.expires) {
		err := s.client.CompareAndSwap(&memcache.Item{Key: k, Value: encode(rec, e.rev, e.revs), Expiration: exp, CasID: e.casID})
		switch {
		case err == nil:
			s.seen.forget(k)
			return written, nil
		case errors.Is(err, memcache.ErrCASConflict) || errors.Is(err, memcache.ErrNotStored) || errors.Is(err, memcache.ErrCacheMiss):
			// Another write came first: read it, below.
		default:
			return scopes.WriteResult{}, s.writeError(rec, err)
		}
	}
	s.seen.forget(k)

	for range maxWriteAttempts {
		it, err := s.get(ctx, k)
		if err != nil {
			return scopes.WriteResult{}, fmt.Errorf("memcached: write %s %s: read: %w: %w", rec.App, rec.Kind, scopes.ErrNotApplied, err)
		}
		var cur scopes.Record
		found := false
		prevRev, prevRevs := "", ""
		if it != nil {
			env, revs := split(it.Value)
			c, derr := scopes.DecodeRecord(rec.Key, env)
			switch {
			case derr != nil && expect != scopes.ExpectAny:
				return scopes.WriteResult{}, derr
			case derr == nil:
				if c.Rev == rec.Rev || hasRev(revs, rec.Rev) {
					return written, nil // sent again: applied once already
				}
				cur, found = c, !c.Expired(now)
				prevRev, prevRevs = c.Rev, revs
			}
		}
		if !scopes.Matches(expect, cur, found) {
			if !found {
				cur = scopes.Record{Key: rec.Key}
			}
			return scopes.WriteResult{Rec: cur, Found: found}, nil
		}
		item := &memcache.Item{Key: k, Value: encode(rec, prevRev, prevRevs), Expiration: exp}
		if it != nil {
			item.CasID = it.CasID
			err = s.client.CompareAndSwap(item)
		} else {
			err = s.client.Add(item)
		}
		switch {
		case err == nil:
			return written, nil
		case errors.Is(err, memcache.ErrCASConflict) || errors.Is(err, memcache.ErrNotStored) || errors.Is(err, memcache.ErrCacheMiss):
			continue // another write came first: read again
		}
		return scopes.WriteResult{}, s.writeError(rec, err)
	}
	return scopes.WriteResult{}, fmt.Errorf("memcached: write %s %s: %w: other writes of the scope came first %d times in a row",
		rec.App, rec.Kind, scopes.ErrNotApplied, maxWriteAttempts)
}

// writeError describes a failed "cas" or "add": one that memcached refused
// (SERVER_ERROR: too large, out of memory) or that could not be sent
// applied nothing; any other may have.
func (s *Store) writeError(rec scopes.Record, err error) error {
	s.failed(err)
	msg := err.Error()
	switch {
	case strings.Contains(msg, "SERVER_ERROR object too large"):
		return &scopes.Error{Code: scopes.ETooLarge, Err: err,
			Message: "the " + string(rec.Kind) + " scope is larger than memcached's item size limit (1 MB unless memcached was started with -I); store less in it"}
	case dialFailed(err) || strings.Contains(msg, "SERVER_ERROR"):
		return fmt.Errorf("memcached: write %s %s: %w: %w", rec.App, rec.Kind, scopes.ErrNotApplied, err)
	}
	return fmt.Errorf("memcached: write %s %s: %w", rec.App, rec.Kind, err)
}
