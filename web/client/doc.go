// Package client is the Go client of scopestore's runtime API, with
// net/http middleware that keeps each visitor's session and client scope in
// scopestore.
//
// A Client calls the API: c.Sessions() and c.Clients() reach the two scope
// kinds (Create, Get, Put, Patch, Delete, Touch, Rotate, List, Count, Clear),
// c.Application() and c.Server() reach the shared scopes (Get, Put, Patch),
// c.Lock takes a named lock whose fence a write carries (Cond.IfFence), and
// c.Settings reads the app's effective settings. Every failure is an
// *Error with the API's code and message; test it with errors.Is against
// ErrNotFound, ErrConflict, ErrPreconditionFailed, ErrRotated or
// ErrUnavailable, and read RetryAfter for a 503.
//
// Middleware wraps an http.Handler: handlers reach the visitor's scopes with
// SessionFrom and ClientScopeFrom. A scope is loaded on first read (one GET)
// and its changes are sent as one PATCH when the response starts (the
// handler's first write, or its return), so that a failure can still be
// answered with 503. Changes made before the first read cost no call of
// their own: with an Incr among them, they go out at the first read as one
// PATCH whose answer is the loaded scope (Incr then Get: one call). A
// request that comes with the cookie of a session rotated since is
// read-only (Scope.ReadOnly), against session fixation. See README.md for
// the full behaviour: cookies, new visitors, rotation and what happens
// when the storage is down.
//
// The package uses only the standard library and scopestore's public HTTP
// API, so an application can vendor it alone.
package client
