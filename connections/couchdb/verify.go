package couchdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// verifyTTL is the expiry of Verify's probe, so that a probe left behind
// by a check that failed half-way is deleted by the cleaner.
const verifyTTL = time.Minute

// verifyCheck is one step of Verify.
type verifyCheck struct {
	name  string
	needs string // the check that must have passed first
	run   func() error
}

// Verify checks, step by step, what storage needs: that CouchDB answers
// ("connect"), that the database exists or can be created, with its index
// and view ("database"), that a scope's document can be written, read
// back, written again only with its current _rev ("compare-and-set"),
// counted by the view (whose map function needs CouchDB's JavaScript query
// server), deleted, and that the expires index answers the cleaner's _find
// ("index"). A check whose prerequisite failed is reported as skipped,
// naming the check that failed.
func (s *Store) Verify(ctx context.Context) []scopes.Health {
	now := time.Now()
	probe := scopes.Record{
		Key:     scopes.Key{App: "scopestore-verify", Kind: scopes.Session, CFID: scopes.NewCFID()},
		CFToken: "0", TimeCreated: now, LastVisit: now, Expires: now.Add(verifyTTL),
		Version: 1, Rev: scopes.NewRev(), Data: json.RawMessage(`{"verify":true}`),
	}
	id, _ := docID(probe.Key)
	firstRev := ""
	checks := []verifyCheck{
		{"connect", "", func() error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.root, nil)
			if err != nil {
				return err
			}
			if s.user != "" || s.password != "" {
				req.SetBasicAuth(s.user, s.password)
			}
			resp, err := s.client.Do(req)
			if err != nil {
				return s.readError("connect", err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized {
				return fmt.Errorf("the server answered %s, not CouchDB's welcome: is the url CouchDB's?", resp.Status)
			}
			return nil
		}},
		{"database", "connect", func() error { return s.prepare(ctx) }},
		{"write", "database", func() error {
			res, err := s.Write(ctx, probe, scopes.ExpectAbsent, now)
			if err == nil && !res.Written {
				err = errors.New("a new document was not written")
			}
			if err == nil {
				have, _, gerr := s.get(ctx, "verify", id)
				firstRev, err = have.Rev, gerr
			}
			return err
		}},
		{"read", "write", func() error {
			rec, found, err := s.Load(ctx, probe.Key, now)
			switch {
			case err != nil:
				return err
			case !found:
				return errors.New("the document just written is missing")
			case string(rec.Data) != string(probe.Data) || rec.Rev != probe.Rev:
				return fmt.Errorf("read %s (rev %s), wrote %s (rev %s)", rec.Data, rec.Rev, probe.Data, probe.Rev)
			}
			return nil
		}},
		{"compare-and-set", "read", func() error { return s.verifyCAS(ctx, probe, firstRev, now) }},
		{"count", "write", func() error {
			n, _, err := s.Count(ctx, probe.App, probe.Kind, now)
			if err == nil && n != 1 {
				err = fmt.Errorf("the view counts %d scopes of the probe's app, want 1", n)
			}
			return err
		}},
		{"delete", "write", func() error {
			found, err := s.Delete(ctx, probe.Key)
			if err == nil && !found {
				err = errors.New("the document just written was not there to delete")
			}
			return err
		}},
		{"index", "database", func() error {
			_, err := s.findExpired(ctx, time.UnixMilli(0), 1)
			return err
		}},
	}
	var out []scopes.Health
	failed := map[string]bool{}
	for _, c := range checks {
		h := scopes.Health{Name: c.name}
		if c.needs != "" && failed[c.needs] {
			h.Err = scopes.Errorf(scopes.EUnavailable, "skipped: the %s check failed", c.needs)
			failed[c.name] = true
		} else if h.Err = c.run(); h.Err != nil {
			failed[c.name] = true
		}
		out = append(out, h)
	}
	return out
}

// verifyCAS checks that CouchDB refuses a PUT at a stale _rev and that the
// store's compare-and-set writes on the stored rev and not on another.
func (s *Store) verifyCAS(ctx context.Context, probe scopes.Record, staleRev string, now time.Time) error {
	next := probe
	next.Rev, next.Version, next.Data = scopes.NewRev(), 2, json.RawMessage(`{"verify":2}`)
	res, err := s.Write(ctx, next, probe.Rev, now)
	if err != nil {
		return err
	}
	if !res.Written {
		return errors.New("a write on the stored rev was refused")
	}
	lost := next
	lost.Rev = scopes.NewRev()
	if res, err = s.Write(ctx, lost, probe.Rev, now); err != nil {
		return err
	} else if res.Written {
		return errors.New("a write on a stale rev was applied")
	}
	id, _ := docID(probe.Key)
	doc := scopeDoc{ID: id, Rev: staleRev, Type: docType, App: probe.App, Kind: string(probe.Kind), CFID: probe.CFID,
		Expires: probe.Expires.UnixMilli(), Writes: []string{lost.Rev}, Value: string(scopes.EncodeRecord(lost))}
	_, ok, err := s.put(ctx, "verify", doc)
	if err != nil {
		return err
	}
	if ok {
		return errors.New("CouchDB accepted a PUT at a stale _rev: it cannot guard against lost updates")
	}
	return nil
}
