package client

import (
	"context"
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
// The scope is loaded on the first read (Get, ID, Load, Rotate,
// Invalidate), once per request; Set, Incr and Delete before it are only
// recorded, and sent with that load (see resolve) or with the save. When it
// cannot be loaded (the storage is down), Get, ID and a change after the
// load abort the handler with a panic that the middleware turns into the
// error handler's answer (503 by default) — never an empty scope in place
// of the stored one; changes never read fail at the save, with the same
// answer. Call Load first to handle that error yourself; use the scope
// from the handler's goroutine, or call Load first, since the panic is
// recovered only there.
//
// A request that came with the cookie of a session rotated since (another
// request called Rotate, at a login, and the old cfid is in its grace) is
// read-only: Get answers the new session's data, but Set, Incr and Delete
// change nothing, Rotate returns an error, no cookie is sent, and the
// middleware saves nothing and logs a warning when changes were dropped.
// Handing that request the new cfid would undo the rotation's defence
// against session fixation. Invalidate ends only what its cookie names, the
// old cfid, and deletes the cookie; it never touches the new session.
// ReadOnly tells such a request apart.
type Scope struct {
	rs         *requestState
	api        *Scopes
	session    bool   // a session, rather than a client scope
	cookieName string // the cookie that holds the cfid
	maxAge     time.Duration

	mu     sync.Mutex
	loaded bool
	err    error // why the load failed
	// deferred says that the scope is not loaded yet but has changes, in
	// changes, made blind: the cookie names a scope whose data this request
	// has not read. They are resolved by the first read (see resolve): as
	// one PATCH, whose answer is the whole scope, when they surely change
	// it, else by a GET after which they are applied as on a loaded scope.
	deferred bool
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
	// readOnly says that the load found the cookie's cfid rotated and
	// followed it: rec and data are the new session's, cfid stays the
	// cookie's, and no change is recorded, sent or handed a cookie.
	readOnly bool
	// dropped says that changes were dropped because the session had
	// been rotated; warned that save has logged it (once per request).
	dropped, warned bool
	// cookieAction is what the response has to tell the browser;
	// browser is the cfid its cookie holds (as sent, or as it will be).
	cookieAction cookieAction
	browser      string
	// token is a client scope's sealed token in cookie storage: as the
	// browser sent it, then as scopestore last answered it; tokenSent says
	// that the browser sent one.
	token     string
	tokenSent bool
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
	if s.deferred {
		return s.resolve(s.rs.r.Context())
	}
	s.loaded = true
	s.data, s.changes = map[string]any{}, changes{}
	s.readCookie()
	if !validCFID(s.browser) {
		return nil
	}
	return s.get(s.rs.r.Context(), s.browser, false)
}

// readCookie reads the cfid the browser sent. The caller holds s.mu.
func (s *Scope) readCookie() {
	if ck, err := s.rs.r.Cookie(s.cookieName); err == nil {
		s.browser = ck.Value
	}
	if !s.session && s.token == "" {
		if ck, err := s.rs.r.Cookie(s.rs.c.cookies.ClientToken); err == nil && ck.Value != "" {
			s.token, s.tokenSent = ck.Value, true
		}
	}
}

// get loads the scope at cfid with GET. A cfid rotated since (rotatedTo,
// or rotated, when the caller already met the rotation) is followed to
// the new one, so that the request reads the session's data rather than
// none, but leaves the scope read-only: a request that came with the old
// cookie after the rotation may be an attacker's who planted it, and must
// neither change the new session nor be handed its cookie. A scope that is
// gone, even at the end of a rotation, leaves the request without one, as
// for any ended scope. The caller holds s.mu and has set loaded.
func (s *Scope) get(ctx context.Context, cfid string, rotated bool) error {
	for hop := 0; ; hop++ {
		rec, err := s.api.Get(s.apiContext(ctx), cfid)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			s.err = fmt.Errorf("load the %s: %w", s.noun(), err)
			return s.err
		}
		if rec.RotatedTo != "" {
			rotated = true
			if validCFID(rec.RotatedTo) && hop < maxRotationHops {
				cfid = rec.RotatedTo
				continue
			}
		}
		if rotated {
			s.readOnly = true
			s.rec, s.cftoken, s.data = rec, rec.CFToken, rec.Data
			s.cfid = s.browser // ID names no cfid the browser was not given
			return nil
		}
		s.adopt(rec)
		return nil
	}
}

// adopt makes rec, just read or written at the cookie's cfid, the scope's
// state. The cookie is sent again when the cfid differs only in case, and
// for a client scope, to extend its Max-Age; it never moves to another
// cfid here (only Rotate does that). The caller holds s.mu.
func (s *Scope) adopt(rec *Record) {
	s.rec, s.cfid, s.cftoken, s.data = rec, rec.CFID, rec.CFToken, rec.Data
	s.takeToken(rec, false)
	if s.cfid != s.browser || !s.session {
		s.setCookie()
	}
}

// deferChange says whether a change can be recorded without loading the
// scope, and prepares for it: the scope is not loaded yet and the cookie
// names one (a visitor without a cookie is loaded without a call anyway).
// The caller holds s.mu.
func (s *Scope) deferChange() bool {
	if s.loaded {
		return false
	}
	if !s.deferred {
		s.readCookie()
		if !validCFID(s.browser) {
			return false
		}
		s.deferred, s.changes = true, changes{}
	}
	return true
}

// resolve loads a scope that has deferred changes. When one of them is an
// increment, which surely changes the scope, they are sent at once as one
// PATCH and its answer, the whole scope, is the loaded state: one call
// instead of a GET and a PATCH. Otherwise (a Set may store the value the
// key already holds, which must write nothing) the scope is loaded with a
// GET and the changes are applied as they would have been on the loaded
// scope. A scope that is gone (404) leaves them to a new scope, created at
// the save as for a new visitor; an increment of a key that holds no number
// (409) is dropped and logged, as Incr does, after a GET. A PATCH refused
// because the session was rotated (409 rotated) is not sent again to the
// new cfid: made blind, it cannot show that its request began before the
// rotation, so the changes are dropped and the scope is read-only, loaded
// from the new cfid (see get). The caller holds s.mu.
func (s *Scope) resolve(ctx context.Context) error {
	pending := s.changes
	s.deferred, s.loaded = false, true
	s.data, s.changes = map[string]any{}, changes{}
	if pending.hasIncr() {
		rec, err := s.api.Patch(s.apiContext(ctx), s.browser, pending.patch())
		var e *Error
		switch {
		case err == nil:
			s.adopt(rec)
			return nil
		case errors.Is(err, ErrNotFound):
			s.apply(pending)
			return nil
		case errors.Is(err, ErrRotated):
			s.dropped = true
			cfid := s.browser
			if errors.As(err, &e) && e.RotatedTo() != "" {
				cfid = e.RotatedTo()
			}
			return s.get(ctx, cfid, true)
		case !errors.Is(err, ErrConflict):
			s.err = fmt.Errorf("save the %s: %w", s.noun(), err)
			return s.err
		}
	}
	if err := s.get(ctx, s.browser, false); err != nil {
		return err
	}
	s.apply(pending)
	return nil
}

// apply makes the changes, recorded blind, on the loaded scope, as Set,
// Incr and Delete make them. The caller holds s.mu.
func (s *Scope) apply(cs changes) {
	for k, c := range cs {
		switch c.op {
		case opSet:
			s.set(k, c.value)
		case opUnset:
			s.delete(k)
		case opIncr:
			s.incr(k, c.by)
		}
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
	if s.deferChange() {
		s.changes[key] = change{op: opSet, value: norm}
		return
	}
	s.mustLoad()
	s.set(key, norm)
}

// set is Set on the loaded scope. The caller holds s.mu.
func (s *Scope) set(key string, norm any) {
	if s.readOnly {
		s.dropped = true
		return
	}
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
	if s.deferChange() {
		if by == 0 {
			return
		}
		// Blind: the stored value is unknown, but a pending set or unset
		// of the key says what it is now.
		var sum float64
		if prev, pending := s.changes[key]; pending && prev.op == opSet {
			n, isNumber := prev.value.(float64)
			if !isNumber {
				s.warnNotNumber(key)
				return
			}
			sum = n + float64(by)
		} else {
			sum = float64(by)
		}
		s.changes.incr(key, by, sum)
		return
	}
	s.mustLoad()
	s.incr(key, by)
}

// incr is Incr on the loaded scope. The caller holds s.mu.
func (s *Scope) incr(key string, by int64) {
	if by == 0 {
		return
	}
	if s.readOnly {
		s.dropped = true
		return
	}
	cur, has := s.data[key]
	n, isNumber := cur.(float64)
	if has && !isNumber {
		s.warnNotNumber(key)
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

func (s *Scope) warnNotNumber(key string) {
	s.rs.c.logger.Warn("scopestore: Incr of a key that holds no number; ignored", "key", key, "scope", s.noun())
}

// Delete removes key from the scope.
func (s *Scope) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deferChange() {
		s.changes[key] = change{op: opUnset}
		return
	}
	s.mustLoad()
	s.delete(key)
}

// delete is Delete on the loaded scope. The caller holds s.mu.
func (s *Scope) delete(key string) {
	if s.readOnly {
		s.dropped = true
		return
	}
	_, has := s.data[key]
	_, pending := s.changes[key]
	if !has && !pending {
		return
	}
	delete(s.data, key)
	s.record(key, change{op: opUnset})
}

// ID returns the scope's cfid, or "" for a visitor who has no scope yet
// (one is created, with a new cfid, when the handler first changes it). A
// read-only scope answers the cfid its cookie named: the session's new
// cfid goes only to the request that rotated it.
func (s *Scope) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustLoad()
	return s.cfid
}

// ReadOnly reports whether the request came with the cookie of a session
// rotated since, so that it reads the new session's data but its changes
// are dropped (against session fixation); it loads the scope like Get.
// After Invalidate it reports false: the request has no session any more.
func (s *Scope) ReadOnly() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustLoad()
	return s.readOnly
}

// Rotate moves the session to a new cfid with the same data and sends the
// visitor the new cookie — call it when a user logs in, against session
// fixation. Pending changes go to the new cfid. It must be called before
// the response is written (ErrResponseCommitted otherwise). Only the
// request whose call rotated the session gets the new cookie: on a
// read-only scope, or when another request rotated the session first, it
// returns an error that matches ErrRotated and changes nothing.
func (s *Scope) Rotate() error {
	if !s.session {
		return errors.New("client: only sessions rotate")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return err
	}
	if s.readOnly {
		return fmt.Errorf("client: rotate the %s: the request came with the cookie of a session rotated since, so it is read-only: %w",
			s.noun(), ErrRotated)
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
	if errors.Is(err, ErrRotated) {
		// Another request rotated it first: its new cfid is not this
		// request's to hand out. Pending changes follow it at the save,
		// since this request loaded the session before the rotation.
		return fmt.Errorf("rotate the session: another request rotated it first: %w", err)
	} else if err != nil {
		return fmt.Errorf("rotate the session: %w", err)
	}
	s.rec, s.cfid, s.cftoken = rec, rec.CFID, rec.CFToken
	s.setCookie()
	return nil
}

// Invalidate ends the scope in scopestore and deletes the visitor's cookie;
// a change after it starts a new scope with a new cfid.
//
// On a read-only scope it ends only what the request's cookie names: it
// deletes the old cfid (the rotated record; already gone is fine) and the
// cookie, and never touches the session at its new cfid. That request may
// be the one of whoever planted the old cookie, who must not be able to
// log the visitor out; a logout sent just before the login's answer still
// deletes this browser's cookie, and the new session then lapses unused.
// After it the scope is no longer read-only: it has none, as after any
// Invalidate.
func (s *Scope) Invalidate() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deferred {
		s.deferred, s.changes = false, nil // they would be deleted with the scope
	}
	if err := s.load(); err != nil {
		return err
	}
	if s.rec != nil {
		cfid := s.cfid
		if s.readOnly {
			// rec is the new session's: end only the rotated record the
			// cookie names, never the session it was rotated to.
			cfid = s.browser
		}
		err := s.api.Delete(s.apiContext(s.rs.r.Context()), cfid)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("invalidate the %s: %w", s.noun(), err)
		}
	}
	s.rec, s.cfid, s.cftoken, s.create, s.token, s.readOnly = nil, "", "", false, "", false
	s.data, s.changes = map[string]any{}, changes{}
	s.cookieAction = cookieKeep
	if s.browser != "" {
		s.cookieAction = cookieClear
	}
	return nil
}
