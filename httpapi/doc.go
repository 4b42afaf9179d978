// Package httpapi is the HTTP side of scopestore's errors and preconditions,
// shared by the runtime API (package web) and the admin console's JSON API
// (package admin) so that the two cannot drift apart: the status of each
// error code, the {"error":{"code","message"}} body with its Retry-After, and
// the If-Match header. The domain (package scopes) keeps codes, not statuses.
package httpapi
