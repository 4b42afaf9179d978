package httpapi

import (
	"net/http"

	"github.com/scopestore/scopestore/scopes"
)

// statusOfCode maps each error code of package scopes to the status both
// front ends answer with.
var statusOfCode = map[string]int{
	scopes.EInvalid:            http.StatusBadRequest,
	scopes.EUnauthorized:       http.StatusUnauthorized,
	scopes.EForbidden:          http.StatusForbidden,
	scopes.ENotFound:           http.StatusNotFound,
	scopes.EConflict:           http.StatusConflict,
	scopes.EPreconditionFailed: http.StatusPreconditionFailed,
	scopes.ERotated:            http.StatusConflict,
	scopes.ELocked:             http.StatusLocked,
	scopes.ETooLarge:           http.StatusRequestEntityTooLarge,
	scopes.ETooManyRequests:    http.StatusTooManyRequests,
	scopes.EQuotaExceeded:      http.StatusInsufficientStorage,
	scopes.EInvalidSettings:    http.StatusUnprocessableEntity,
	scopes.EUnavailable:        http.StatusServiceUnavailable,
	scopes.ECorrupt:            http.StatusInternalServerError,
	scopes.EUnsupported:        http.StatusNotImplemented,
	scopes.EInternal:           http.StatusInternalServerError,
}

// Status returns the HTTP status of an error code; a code it does not know
// is a 500.
func Status(code string) int {
	if s, ok := statusOfCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// StatusOf returns the HTTP status of err's code (200 for nil).
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return Status(scopes.ErrorCode(err))
}
