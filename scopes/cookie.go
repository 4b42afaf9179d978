package scopes

import "context"

// StorageCookie is the client scope's storage in the visitor's browser, as
// in Railo and ColdFusion: the whole record travels sealed in a token that
// the app keeps in a cookie, and scopestore holds nothing of it. Sessions
// cannot use it: a session must be ended server-side (invalidation,
// rotation), which a token in the browser cannot be.
const StorageCookie = "cookie"

// MaxCookieToken bounds a sealed token in bytes: what a browser keeps in one
// cookie (RFC 6265 asks browsers for at least 4096 bytes per cookie, and
// that is what they give).
const MaxCookieToken = 4096

// ScopeToken carries the sealed token of a client scope kept in cookie
// storage through one operation, because that storage has no server side
// to read from or write to: In is the token the app sent back (the
// Scope-Token header), Out the token the storage sealed for the answer.
// The front end puts one in the request's context (WithScopeToken) and
// reads Out once the engine answered.
type ScopeToken struct {
	// In is the token as the app sent it; "" when it sent none.
	In string
	// Out is the token sealed by the operation's last write; "" when the
	// operation wrote nothing.
	Out string
	// Current is the record that In opened to, or that Out holds once
	// written, so that an operation that reads then writes opens the token
	// once; the cookie storage keeps it.
	Current *Record
}

type scopeTokenKey struct{}

// WithScopeToken returns ctx carrying tok, for the cookie storage to read
// from and seal into.
func WithScopeToken(ctx context.Context, tok *ScopeToken) context.Context {
	return context.WithValue(ctx, scopeTokenKey{}, tok)
}

// ScopeTokenFrom returns the ScopeToken that ctx carries, or nil.
func ScopeTokenFrom(ctx context.Context) *ScopeToken {
	tok, _ := ctx.Value(scopeTokenKey{}).(*ScopeToken)
	return tok
}

// serverSide tells whether scopestore holds the scopes of a storage:
// every storage but cookie, whose scopes live in visitors' browsers.
func serverSide(storage string) bool { return storage != StorageCookie }

// sessionCookie is the refusal of sessionStorage cookie.
func sessionCookie() error {
	return Errorf(EInvalidSettings, "sessionStorage: cookie is for the client scope only (clientStorage: cookie); "+
		"keep sessions in memory, file or a storage connection")
}
