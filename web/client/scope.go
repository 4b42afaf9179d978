package client

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"
)

// maxRotationHops bounds how many rotations a load or a save follows.
const maxRotationHops = 3

// ErrResponseCommitted is a Rotate after the handler wrote its response:
// the cookie could no longer move to the new cfid.
var ErrResponseCommitted = errors.New("client: the response is already written: the cookie cannot change any more")

// Scope is a visitor's session or client scope during one request, from
// SessionFrom or ClientScopeFrom; it is safe for concurrent use.
//
// The scope is loaded on the first call of any method, once per request.
// When it cannot be loaded (the storage is down), Get, Set, Incr, Delete and
// ID abort the handler with a panic that the middleware turns into the
// error handler's answer (503 by default) — never an empty scope in place
// of the stored one. Call Load first to handle that error yourself; use
// the scope from the handler's goroutine, or call Load first, since the
// panic is recovered only there.
type Scope struct {
	rs         *requestState
	api        *Scopes
	session    bool   // a session, rather than a client scope
	cookieName string // the cookie that holds the cfid
	maxAge     time.Duration

	mu     sync.Mutex
	loaded bool
	err    error // why the load failed
	// rec is the stored scope; nil for a visitor who has none (yet).
	rec *Record
	// cfid is rec's cfid, the one a new scope will be created with, or "".
	cfid    string
	cftoken string
	// data is the scope as the handler sees it: the stored data with the
	// pending changes applied.
	data    map[string]any
	changes changes
	// create says that the scope does not exist yet and has changes.
	create bool
	// cookieAction is what the response has to tell the browser;
	// browser is the cfid its cookie holds (as sent, or as it will be).
	cookieAction cookieAction
	browser      string
}

// abort carries a load failure from a Scope method to the middleware.
type abort struct{ err error }

func (s *Scope) noun() string {
	if s.session {
		return "session"
	}
	return "client scope"
}

// Load loads the scope if this request has not yet, and returns why it
// could not; the other methods call it for you.
func (s *Scope) Load() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load()
}

// load reads the scope named by the cookie, following a rotation to the
// new cfid. A visitor without a cookie, or whose scope is gone, gets none:
// a new one is created when the handler first changes it. The caller holds s.mu.
func (s *Scope) load() error {
	if s.loaded {
		return s.err
	}
	s.loaded = true
	s.data, s.changes = map[string]any{}, changes{}
	if ck, err := s.rs.r.Cookie(s.cookieName); err == nil {
		s.browser = ck.Value
	}
	cfid := s.browser
	if !validCFID(cfid) {
		return nil
	}
	for hop := 0; ; hop++ {
		rec, err := s.api.Get(s.rs.r.Context(), cfid)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			s.err = fmt.Errorf("load the %s: %w", s.noun(), err)
			return s.err
		}
		if rec.RotatedTo != "" && validCFID(rec.RotatedTo) && hop < maxRotationHops {
			cfid = rec.RotatedTo
			continue
		}
		s.rec, s.cfid, s.cftoken, s.data = rec, rec.CFID, rec.CFToken, rec.Data
		// A followed rotation moves the cookie; a client scope's cookie is
		// sent again to extend its Max-Age.
		if s.cfid != s.browser || !s.session {
			s.setCookie()
		}
		return nil
	}
}

// mustLoad loads the scope or aborts the handler. The caller holds s.mu.
func (s *Scope) mustLoad() {
	if err := s.load(); err != nil {
		panic(abort{err})
	}
}

// setCookie asks for the cookie to be sent, and logs when a stored scope
// moved after the response went out without it (a new scope's case is
// logged by save). The caller holds s.mu.
func (s *Scope) setCookie() {
	s.cookieAction = cookieSet
	if s.rec != nil && s.rs.w.committed.Load() && s.browser != s.cfid {
		s.rs.c.logger.Warn("scopestore: the "+s.noun()+" changed its cfid after the response was written; the cookie could not follow",
			"cfid", s.cfid)
	}
}

// record adds a pending change; the first change of a visitor without a
// scope picks the cfid it will be created with. The caller holds s.mu.
func (s *Scope) record(key string, c change) {
	s.changes[key] = c
	if s.rec == nil && !s.create {
		s.create = true
		s.cfid, s.cftoken = NewCFID(), "0"
		s.setCookie()
	}
}

// Get returns the value of key as encoding/json decodes it (float64,
// string, bool, []any, map[string]any), or nil when the scope has none.
// Changing a returned map or slice does not change the scope: Set it.
func (s *Scope) Get(key string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustLoad()
	return s.data[key]
}

// Set sets key to v, which must encode as JSON (Set panics otherwise, as
// for any programming mistake); the change is saved after the handler returns.
func (s *Scope) Set(key string, v any) {
	if key == "" {
		panic("client: Set with an empty key")
	}
	norm, err := normalize(v)
	if err != nil {
		panic(fmt.Sprintf("client: Set(%q): the value cannot be encoded as JSON: %v", key, err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustLoad()
	cur, has := s.data[key]
	if _, pending := s.changes[key]; !pending && has && reflect.DeepEqual(cur, norm) {
		return // unchanged: nothing to write
	}
	s.data[key] = norm
	s.record(key, change{op: opSet, value: norm})
}

// Incr adds by to the number at key (absent counts as 0). It is saved as
// an increment, so that increments from concurrent requests all count; on
// a key that holds something else than a number it does nothing but log.
func (s *Scope) Incr(key string, by int64) {
	if key == "" {
		panic("client: Incr with an empty key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustLoad()
	if by == 0 {
		return
	}
	cur, has := s.data[key]
	n, isNumber := cur.(float64)
	if has && !isNumber {
		s.rs.c.logger.Warn("scopestore: Incr of a key that holds no number; ignored", "key", key, "scope", s.noun())
		return
	}
	sum := n + float64(by)
	s.data[key] = sum
	if s.rec == nil {
		s.record(key, change{op: opSet, value: sum})
		return
	}
	s.changes.incr(key, by, sum)
}

// Delete removes key from the scope.
func (s *Scope) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustLoad()
	_, has := s.data[key]
	_, pending := s.changes[key]
	if !has && !pending {
		return
	}
	delete(s.data, key)
	s.record(key, change{op: opUnset})
}

// ID returns the scope's cfid, or "" for a visitor who has no scope yet
// (one is created, with a new cfid, when the handler first changes it).
func (s *Scope) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustLoad()
	return s.cfid
}

// Rotate moves the session to a new cfid with the same data and sends the
// visitor the new cookie — call it when a user logs in, against session
// fixation. Pending changes go to the new cfid. It must be called before
// the response is written (ErrResponseCommitted otherwise).
func (s *Scope) Rotate() error {
	if !s.session {
		return errors.New("client: only sessions rotate")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return err
	}
	if s.rs.w.committed.Load() {
		return ErrResponseCommitted
	}
	if s.rec == nil {
		if s.create {
			s.cfid = NewCFID()
			s.setCookie()
		}
		return nil
	}
	rec, err := s.api.Rotate(s.rs.r.Context(), s.cfid, "")
	var e *Error
	if errors.As(err, &e) && e.RotatedTo() != "" {
		// Another request rotated it first: follow.
		s.cfid = e.RotatedTo()
		s.setCookie()
		return nil
	} else if err != nil {
		return fmt.Errorf("rotate the session: %w", err)
	}
	s.rec, s.cfid, s.cftoken = rec, rec.CFID, rec.CFToken
	s.setCookie()
	return nil
}

// Invalidate ends the scope in scopestore and deletes the visitor's cookie;
// a change after it starts a new scope with a new cfid.
func (s *Scope) Invalidate() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return err
	}
	if s.rec != nil {
		err := s.api.Delete(s.rs.r.Context(), s.cfid)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("invalidate the %s: %w", s.noun(), err)
		}
	}
	s.rec, s.cfid, s.cftoken, s.create = nil, "", "", false
	s.data, s.changes = map[string]any{}, changes{}
	s.cookieAction = cookieKeep
	if s.browser != "" {
		s.cookieAction = cookieClear
	}
	return nil
}
