// Package scopes is scopestore's domain: session and client scope instances,
// their settings, the error type with codes, the Store interface that every
// storage implements, and the engine that applies the cluster and expiry
// semantics on top of a Store. It uses the standard library only and does no
// I/O of its own: storages and configuration come in through interfaces.
package scopes
