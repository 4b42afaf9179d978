package client

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
)

// stateKey is the context key of a request's scopes.
type stateKey struct{}

// requestState is what the middleware keeps for one request.
type requestState struct {
	c       *Client
	r       *http.Request
	w       *responseWriter
	session *Scope

	mu sync.Mutex
	// clientChecked says whether the settings were read to decide on the
	// client scope; clientErr is why they could not be.
	clientChecked bool
	clientErr     error
	client        *Scope
}

// Middleware gives next's handlers the visitor's session and client scope
// through SessionFrom and ClientScopeFrom.
//
// Each scope is loaded on first use, once per request. Its changes are
// saved, as one PATCH per scope, when the response starts — at the
// handler's first WriteHeader, Write or Flush, or when it returns without
// writing — so that a failure can still be answered by the error handler
// (503 when the storage is down) and the visitor never sees a success whose
// changes were lost. Changes made after the response started are saved
// when the handler returns; a failure then can only be logged.
//
// A request that comes with the cookie of a session rotated since reads
// the new session but changes nothing and gets no cookie, though its
// Invalidate ends the old cfid and deletes the cookie (see Scope and
// Scope.ReadOnly): only the request that rotated hands out the new cfid.
func (c *Client) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs := &requestState{c: c}
		rs.w = &responseWriter{ResponseWriter: w, rs: rs}
		rs.r = r.WithContext(context.WithValue(r.Context(), stateKey{}, rs))
		rs.session = &Scope{rs: rs, api: c.sessions, session: true, cookieName: c.cookies.CFID}
		if err := rs.serve(next); err != nil {
			if rs.w.replaced.Load() {
				return // the error handler answered already, when the save failed
			}
			if rs.w.committed.Load() {
				rs.log(err, "the request's scopes could not be loaded after its response started; the response is cut short")
				// The visitor must not take the part written for a success.
				panic(http.ErrAbortHandler)
			}
			rs.w.start(err)
			return
		}
		if !rs.w.committed.Load() {
			rs.w.start(nil) // the handler wrote nothing: save, then let net/http answer
			return
		}
		if rs.w.replaced.Load() {
			return
		}
		if err := rs.save(); err != nil {
			rs.log(err, "changes made after the response started could not be saved")
		}
	})
}

// serve runs the handler and returns the load failure it was aborted by.
func (rs *requestState) serve(next http.Handler) (err error) {
	defer func() {
		if v := recover(); v != nil {
			a, ok := v.(abort)
			if !ok {
				panic(v)
			}
			err = a.err
		}
	}()
	next.ServeHTTP(rs.w, rs.r)
	return nil
}

// save sends the pending changes of every scope the request reached. It
// does not stop when the visitor goes away: the handler's work is done.
func (rs *requestState) save() error {
	var ctx context.Context
	var errs []error
	for _, s := range rs.scopes() {
		if s == nil || !s.unsaved() {
			continue
		}
		if ctx == nil { // made only when there is something to send
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(rs.r.Context()), rs.c.saveTimeout)
			defer cancel()
		}
		if err := s.save(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// answerError logs err and lets the error handler answer the request.
func (rs *requestState) answerError(err error) {
	rs.log(err, "the request's scopes could not be loaded or saved")
	rs.c.errorHandler(rs.w.ResponseWriter, rs.r, err)
}

// log reports err; a visitor who went away is no error of the app's.
func (rs *requestState) log(err error, msg string) {
	log := rs.c.logger.Error
	if errors.Is(err, context.Canceled) {
		log = rs.c.logger.Debug
	}
	log("scopestore: "+msg, "method", rs.r.Method, "path", rs.r.URL.Path, "err", err)
}

// scopes returns the scopes the request has reached: the session, and
// the client scope or nil.
func (rs *requestState) scopes() [2]*Scope {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return [2]*Scope{rs.session, rs.client}
}

// clientScope returns the client scope, or nil when the app turned it off;
// it reads the (cached) settings the first time a request asks.
func (rs *requestState) clientScope() *Scope {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.clientChecked {
		rs.clientChecked = true
		st, err := rs.c.cachedSettings(rs.r.Context())
		if err != nil {
			rs.clientErr = err
		} else if st.ClientManagement() {
			rs.client = &Scope{rs: rs, api: rs.c.clients, cookieName: rs.c.cookies.Client, maxAge: st.ClientTimeout()}
		}
	}
	if rs.clientErr != nil {
		panic(abort{rs.clientErr})
	}
	return rs.client
}

func stateOf(r *http.Request) *requestState {
	rs, _ := r.Context().Value(stateKey{}).(*requestState)
	return rs
}

// SessionFrom returns the visitor's session, or nil when the request did
// not pass through a Client's Middleware.
func SessionFrom(r *http.Request) *Scope {
	if rs := stateOf(r); rs != nil {
		return rs.session
	}
	return nil
}

// ClientScopeFrom returns the visitor's client scope, or nil when the app
// has turned client management off (or the request did not pass through a
// Client's Middleware). It aborts the handler like Scope.Get when the
// app's settings cannot be read.
func ClientScopeFrom(r *http.Request) *Scope {
	if rs := stateOf(r); rs != nil {
		return rs.clientScope()
	}
	return nil
}

// DefaultErrorHandler answers a request whose scopes could not be loaded
// or saved: 503 with Retry-After when scopestore or its storage is
// unavailable, 500 for anything else (a wrong API key, say).
func DefaultErrorHandler(w http.ResponseWriter, _ *http.Request, err error) {
	if errors.Is(err, ErrUnavailable) {
		secs := int(math.Ceil(RetryAfter(err).Seconds()))
		if secs <= 0 {
			secs = int(defaultRetryAfter.Seconds())
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		http.Error(w, "The session store is unavailable; please try again in a few seconds.", http.StatusServiceUnavailable)
		return
	}
	http.Error(w, "Internal Server Error", http.StatusInternalServerError)
}
