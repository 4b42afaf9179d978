package client

import (
	"context"
	"errors"
	"fmt"
)

// unsaved says whether save has something to send.
func (s *Scope) unsaved() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deferred || (s.dropped && !s.warned) ||
		(s.loaded && s.err == nil && (s.create || (s.rec != nil && len(s.changes) > 0)))
}

// save sends the scope's pending changes: a create for a new visitor, one
// PATCH otherwise, re-sent to the new cfid when the session was rotated
// after this request loaded it. Nothing is sent when nothing changed, nor
// for a read-only scope, whose dropped changes are logged once.
func (s *Scope) save(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deferred {
		// Changed but never read: one PATCH when the changes surely change
		// the scope, else a GET first (see resolve).
		if err := s.resolve(ctx); err != nil {
			return err
		}
	}
	if s.dropped && !s.warned {
		s.warned = true
		s.rs.c.logger.Warn("scopestore: a request that came with the cookie of a session rotated since is read-only: "+
			"its changes are not saved (session fixation defence)", "method", s.rs.r.Method, "path", s.rs.r.URL.Path)
	}
	if !s.loaded || s.err != nil || s.readOnly {
		return nil
	}
	if s.rec == nil {
		if !s.create {
			return nil
		}
		if s.rs.w.committed.Load() && s.browser != s.cfid {
			s.rs.c.logger.Warn("scopestore: a new "+s.noun()+" was first changed after the response was written; "+
				"it is not created, since its cookie could not be sent", "path", s.rs.r.URL.Path)
			return nil
		}
		rec, err := s.api.CreateWithID(ctx, s.cfid, s.data)
		if err != nil {
			return fmt.Errorf("create the %s: %w", s.noun(), err)
		}
		s.rec, s.create, s.changes = rec, false, changes{}
		s.takeToken(rec, true)
		return nil
	}
	if len(s.changes) == 0 {
		return nil
	}
	rec, err := s.patch(ctx, s.cfid, s.changes.patch())
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("save the %s: it ended during the request (invalidated or expired), so its changes were dropped: %w", s.noun(), err)
		}
		return fmt.Errorf("save the %s: %w", s.noun(), err)
	}
	// rec.CFID differs from s.cfid when another request rotated the
	// session after this one loaded it: the same visitor's request in
	// flight, whose changes followed. The cookie stays: only the
	// request that rotated hands out the new cfid.
	s.rec, s.cfid, s.changes = rec, rec.CFID, changes{}
	s.takeToken(rec, true)
	return nil
}

// patch sends p to the scope at cfid as one PATCH, sent again to the new
// cfid when the session was rotated meanwhile (409 rotated). Only save
// uses it, for a scope loaded before the rotation: a change made blind
// does not follow (see resolve).
func (s *Scope) patch(ctx context.Context, cfid string, p Patch) (*Record, error) {
	for hop := 0; ; hop++ {
		rec, err := s.api.Patch(s.apiContext(ctx), cfid, p)
		var e *Error
		if err != nil && errors.As(err, &e) && e.RotatedTo() != "" && hop < maxRotationHops {
			cfid = e.RotatedTo()
			continue
		}
		return rec, err
	}
}
