package cookie

import (
	"context"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Store is the cookie storage: a scopes.Store with no server side. It reads
// a client scope from the token that the operation's context carries
// (scopes.ScopeTokenFrom) and writes by sealing the record into a new
// token there. It is safe for concurrent use.
type Store struct {
	ring *Ring
}

var _ scopes.Store = (*Store)(nil)

// New returns the cookie storage over ring's keys.
func New(ring *Ring) *Store { return &Store{ring: ring} }

// Load returns the record sealed in the operation's token for key: found is
// false when there is no token, when it does not open for key (changed,
// another app's or cfid's, a key no longer in the ring) or when the record
// in it expired at now, so that each of these reads as an unknown scope.
func (s *Store) Load(ctx context.Context, key scopes.Key, now time.Time) (scopes.Record, bool, error) {
	tok := scopes.ScopeTokenFrom(ctx)
	if tok == nil || key.Kind != scopes.Client {
		return scopes.Record{Key: key}, false, nil
	}
	if cur := tok.Current; cur != nil && cur.Key == key {
		return *cur, !cur.Expired(now), nil
	}
	if tok.In == "" {
		return scopes.Record{Key: key}, false, nil
	}
	rec, ok := s.ring.open(key, tok.In)
	if !ok || rec.Expired(now) {
		return scopes.Record{Key: key}, false, nil
	}
	tok.Current = &rec
	return rec, true, nil
}

// Write seals rec into the operation's token when the record that the token
// held matches expect (see scopes.Store). A token over
// scopes.MaxCookieToken is refused with ETooLarge and nothing is written.
func (s *Store) Write(ctx context.Context, rec scopes.Record, expect string, now time.Time) (scopes.WriteResult, error) {
	tok := scopes.ScopeTokenFrom(ctx)
	if tok == nil {
		// Only the runtime API carries a token to the visitor.
		return scopes.WriteResult{}, scopes.Errorf(scopes.EUnsupported,
			"client scopes in cookie storage live in visitors' browsers: they are written only through the runtime API, which hands their token back")
	}
	cur, found, _ := s.Load(ctx, rec.Key, now)
	if !scopes.Matches(expect, cur, found) {
		return scopes.WriteResult{Rec: cur, Found: found}, nil
	}
	token := s.ring.seal(rec)
	if len(token) > scopes.MaxCookieToken {
		return scopes.WriteResult{}, scopes.Errorf(scopes.ETooLarge,
			"the client scope's token would be %d bytes, over the %d bytes that a browser keeps in one cookie: "+
				"keep less in the client scope, or set clientStorage to another storage (file, a cache or a datasource)",
			len(token), scopes.MaxCookieToken)
	}
	tok.Out, tok.Current = token, &rec
	return scopes.WriteResult{Written: true, Rec: rec, Found: true}, nil
}

// Delete forgets the operation's token and reports the scope as found:
// there is nothing to delete server-side, and the scope ends when the app
// drops its cookie, which a 204 tells it to.
func (s *Store) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	if tok := scopes.ScopeTokenFrom(ctx); tok != nil {
		tok.Out, tok.Current = "", nil
	}
	return true, nil
}

// List is not supported: cookie scopes live in visitors' browsers.
func (s *Store) List(_ context.Context, app string, kind scopes.Kind, _ string, _ int, _ time.Time) ([]scopes.Record, error) {
	return nil, unlisted(app, kind)
}

// Count is not supported, as List is not.
func (s *Store) Count(_ context.Context, app string, kind scopes.Kind, _ time.Time) (int64, bool, error) {
	return 0, false, unlisted(app, kind)
}

func unlisted(app string, kind scopes.Kind) error {
	return scopes.Errorf(scopes.EUnsupported,
		"the %s scopes of app %s are in cookie storage: each lives in its visitor's browser, sealed in a token, "+
			"and scopestore keeps no copy, so they cannot be listed, counted or invalidated from here", kind, app)
}

// DeleteExpired deletes nothing: an expired token no longer opens, and
// there is nothing server-side to clean (nor an end-of-scope webhook).
func (s *Store) DeleteExpired(context.Context, time.Time, int) ([]scopes.Key, error) { return nil, nil }

// Ping always answers: the storage is this process's keys.
func (s *Store) Ping(context.Context) error { return nil }

// Close releases nothing.
func (s *Store) Close() error { return nil }
