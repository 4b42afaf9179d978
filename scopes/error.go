package scopes

import (
	"errors"
	"fmt"
)

// Error codes. The front ends map each code to an HTTP status in one table
// (package httpapi).
const (
	EInvalid            = "invalid"             // bad input from the caller
	EUnauthorized       = "unauthorized"        // missing or unknown credentials
	EForbidden          = "forbidden"           // credentials that do not reach this resource
	ENotFound           = "not_found"           // no such scope, app or connection
	EConflict           = "conflict"            // the request clashes with the current state
	EPreconditionFailed = "precondition_failed" // If-Match named a stale version
	ERotated            = "rotated"             // the session moved to another cfid (RotatedError)
	ELocked             = "locked"              // a named lock stayed held for all of the request's timeout
	ETooLarge           = "too_large"           // a scope or body over the size limit
	ETooManyRequests    = "too_many_requests"   // a client over a rate limit; it may try again later
	EQuotaExceeded      = "quota_exceeded"      // a limit on what an app or the instance holds is reached
	EInvalidSettings    = "invalid_settings"    // settings that cannot be applied
	EUnavailable        = "unavailable"         // a storage or the config store did not answer
	ECorrupt            = "corrupt"             // a stored value that cannot be decoded
	EUnsupported        = "not_supported"       // the storage cannot do this (memcached and cookie scopes cannot be listed)
	EInternal           = "internal"            // anything unexpected; details go to the log
)

// Error is an error with a code and a message a user can act on.
type Error struct {
	Code    string
	Message string
	// Err is the underlying cause, logged but never shown to a caller.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Unavailable wraps the failure of a storage or of the config store so that
// callers answer 503 with a message naming what failed.
func Unavailable(what string, err error) *Error {
	return &Error{Code: EUnavailable, Message: fmt.Sprintf("%s is unavailable; try again shortly", what), Err: err}
}

// ErrorCode returns the code of an *Error in err's chain, EInternal for any other
// error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	// Declared here, not above: &e escapes, and a nil error, the common
	// case, need not allocate it.
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of an *Error in err's chain, and
// "Internal error." for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// RotatedError is the cause of an ERotated error: the session was rotated
// to the cfid To, where changes must go.
type RotatedError struct{ To string }

// Error implements the error interface.
func (e *RotatedError) Error() string { return "rotated to " + e.To }

// rotated refuses a change of a rotated session, naming its new cfid.
func rotated(key Key, to string) *Error {
	return &Error{Code: ERotated, Err: &RotatedError{To: to},
		Message: "session " + key.CFID + " was rotated to " + to + ": send the change there (see Location)"}
}
