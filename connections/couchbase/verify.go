package couchbase

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/couchbase/gocb/v2"

	"github.com/scopestore/scopestore/scopes"
)

// verifyTTL is the expiry of Verify's probe document, so that a probe left
// behind by a check that failed half-way goes by itself.
const verifyTTL = time.Minute

// clockTolerance is how far the probe's expiry, as Couchbase reports it,
// may be from this host's idea of it: further off, Couchbase's clock and
// this host's disagree, and documents would expire that much early or late.
const clockTolerance = 5 * time.Second

// verifyConnectTimeout bounds the wait for the bucket in "connect".
const verifyConnectTimeout = 10 * time.Second

// verifyCheck is one step of Verify.
type verifyCheck struct {
	name  string
	needs string // the check that must have passed first
	run   func() error
}

// Verify checks, step by step, what storage needs: that the cluster
// answers and the bucket is there ("connect"), that the scope and
// collection are ("collection"), that a document can be written with an
// expiry as scopes are, read back with that expiry, replaced with its CAS
// (and not with a stale one), and removed, and that the query service can
// create and use the indexes of listing. A check whose prerequisite failed
// is reported as skipped, naming the check that failed.
func (s *Store) Verify(ctx context.Context) []scopes.Health {
	var b [8]byte
	_, _ = rand.Read(b[:])
	// Two colons, never three: no scope's key (see docKey). Its type is not
	// docType, so the indexes of listing leave it out.
	probe := keyPrefix + "verify:" + hex.EncodeToString(b[:])
	value := []byte(`{"type":"scopestore-verify","probe":"` + hex.EncodeToString(b[:]) + `"}`)
	var cas gocb.Cas

	checks := []verifyCheck{
		{"connect", "", func() error {
			timeout := verifyConnectTimeout
			if deadline, ok := ctx.Deadline(); ok {
				timeout = max(min(timeout, time.Until(deadline)), time.Millisecond)
			}
			return s.bucket.WaitUntilReady(timeout, &gocb.WaitUntilReadyOptions{
				Context: ctx, ServiceTypes: []gocb.ServiceType{gocb.ServiceTypeKeyValue}})
		}},
		{"collection " + s.cfg.scope + "." + s.cfg.collection, "connect", func() error {
			// A document that is not there: "not found" means the
			// collection answered.
			_, _, err := s.get(ctx, probe)
			return err
		}},
		{"write with expiry", "collection " + s.cfg.scope + "." + s.cfg.collection, func() error {
			_, err := s.coll.Upsert(probe, value, &gocb.UpsertOptions{Context: ctx, Transcoder: s.transcoder, Expiry: verifyTTL})
			return err
		}},
		{"read", "write with expiry", func() error {
			res, err := s.coll.Get(probe, &gocb.GetOptions{Context: ctx, Transcoder: s.transcoder, WithExpiry: true})
			if errors.Is(err, gocb.ErrDocumentNotFound) {
				return errors.New("the document just written is missing: is Couchbase's clock more than a minute ahead?")
			}
			if err != nil {
				return err
			}
			var got []byte
			if err := res.Content(&got); err != nil {
				return err
			}
			if !bytes.Equal(got, value) {
				return fmt.Errorf("read %s, wrote %s", got, value)
			}
			cas = res.Cas()
			return checkExpiry(res.ExpiryTime(), time.Now().Add(verifyTTL))
		}},
		{"replace with CAS", "read", func() error {
			if err := s.replace(ctx, probe, value, cas, verifyTTL); err != nil {
				return err
			}
			switch err := s.replace(ctx, probe, value, cas, verifyTTL); {
			case err == nil:
				return errors.New("a replace with a stale CAS succeeded: compare-and-set would lose updates")
			case !errors.Is(err, gocb.ErrCasMismatch):
				return fmt.Errorf("a replace with a stale CAS failed otherwise than with a CAS mismatch: %w", err)
			}
			return nil
		}},
		{"remove", "write with expiry", func() error {
			_, err := s.coll.Remove(probe, &gocb.RemoveOptions{Context: ctx})
			return err
		}},
		{"indexes for listing", "connect", func() error {
			created := s.createIndexes(ctx)
			if created == nil {
				s.indexesMu.Lock()
				s.indexes = true
				s.indexesMu.Unlock()
			}
			// Indexes that an administrator created serve as well.
			if _, _, err := s.Count(ctx, "verify", scopes.Session, time.Now()); err != nil {
				if created != nil {
					return fmt.Errorf("%w (and a query on them failed: %v)", created, scopes.ErrorMessage(err))
				}
				return err
			}
			return nil
		}},
	}

	// failed maps each check that did not pass to the check that failed
	// first, which is what a skipped check names.
	failed := map[string]string{}
	out := make([]scopes.Health, 0, len(checks))
	for _, c := range checks {
		h := scopes.Health{Name: c.name}
		if cause, ok := failed[c.needs]; ok {
			h.Err = scopes.Errorf(scopes.EUnavailable, "skipped: the %s check failed", cause)
			failed[c.name] = cause
		} else if err := c.run(); err != nil {
			h.Err = s.verifyError(c.name, err)
			failed[c.name] = c.name
		}
		out = append(out, h)
	}
	return out
}

// verifyError says why a check failed, in the words of readError for what
// gocb reports.
func (s *Store) verifyError(check string, err error) error {
	var se *scopes.Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, errClock) {
		return &scopes.Error{Code: scopes.EUnavailable, Message: err.Error(), Err: err}
	}
	return s.readError("verify "+check, err)
}

// errClock is an expiry that Couchbase keeps off from this host's clock.
var errClock = errors.New("couchbase: the document's expiry is off")

// checkExpiry compares the expiry Couchbase reports for the probe with the
// one this host expects.
func checkExpiry(got, want time.Time) error {
	switch {
	case got.IsZero():
		return fmt.Errorf("%w: Couchbase reports none for a document written to expire in %v", errClock, verifyTTL)
	case got.Sub(want).Abs() > clockTolerance:
		return fmt.Errorf("%w: a document written to expire at %s expires at %s: Couchbase's clock and this host's differ by about %v, and scopes would expire that much off",
			errClock, want.UTC().Format(time.RFC3339), got.UTC().Format(time.RFC3339), got.Sub(want).Abs().Round(time.Second))
	}
	return nil
}
