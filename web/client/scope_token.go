package client

import "context"

// scopeTokenHeader carries a client scope's sealed token when the app keeps
// its client scope in cookie storage: scopestore answers it on every
// create, load, save, PATCH and touch, and takes it back on the next call.
const scopeTokenHeader = "Scope-Token"

type scopeTokenKey struct{}

// WithScopeToken returns ctx carrying token, the sealed token of a client
// scope in cookie storage (Record.Token), which every call made with the
// context sends as its Scope-Token header: scopestore keeps nothing of such
// a scope, so without it a load answers ErrNotFound.
func WithScopeToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, scopeTokenKey{}, token)
}

// scopeTokenFrom returns the token that ctx carries, or "".
func scopeTokenFrom(ctx context.Context) string {
	t, _ := ctx.Value(scopeTokenKey{}).(string)
	return t
}

// apiContext returns ctx with the scope's token when it is a client scope
// in cookie storage that has one. The caller holds s.mu.
func (s *Scope) apiContext(ctx context.Context) context.Context {
	if s.session || s.token == "" {
		return ctx
	}
	return WithScopeToken(ctx, s.token)
}

// takeToken keeps the token of rec, just read or written, and asks for
// its cookie; a token that changed after the response went out cannot
// reach the browser, which then sends back the previous one: that state of
// the scope, without this request's change (saved says there was one, worth
// a warning; a load's lost visit is not). The caller holds s.mu.
func (s *Scope) takeToken(rec *Record, saved bool) {
	if s.session || rec.Token == "" || rec.Token == s.token {
		return
	}
	s.token = rec.Token
	if s.rs.w.committed.Load() {
		if !saved {
			return
		}
		s.rs.c.logger.Warn("scopestore: the client scope (cookie storage) changed after the response was written; "+
			"its new token could not be sent, so the browser keeps the previous state", "cfid", s.cfid)
		return
	}
	s.cookieAction = cookieSet
}
