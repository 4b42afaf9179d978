package client

import (
	"context"
	"errors"
	"fmt"
)

// save sends the scope's pending changes: a create for a new visitor, one
// PATCH otherwise, re-sent to the new cfid when the session was rotated
// meanwhile. Nothing is sent when nothing changed.
func (s *Scope) save(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded || s.err != nil {
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
		return nil
	}
	if len(s.changes) == 0 {
		return nil
	}
	p := s.changes.patch()
	for hop := 0; ; hop++ {
		rec, err := s.api.Patch(ctx, s.cfid, p)
		if err == nil {
			s.rec, s.changes = rec, changes{}
			return nil
		}
		var e *Error
		if errors.As(err, &e) && e.RotatedTo() != "" && hop < maxRotationHops {
			// Another request rotated the session: the change goes to its
			// new cfid, and so does the cookie if this response can still say so.
			s.cfid = e.RotatedTo()
			if !s.rs.w.committed.Load() {
				s.cookieAction = cookieSet
			}
			continue
		}
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("save the %s: it ended during the request (invalidated or expired), so its changes were dropped: %w", s.noun(), err)
		}
		return fmt.Errorf("save the %s: %w", s.noun(), err)
	}
}
