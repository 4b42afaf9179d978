package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error codes that scopestore answers with, in {"error":{"code":…}}.
const (
	CodeInvalid            = "invalid"             // bad input: malformed JSON, a bad cfid, an empty patch (400)
	CodeUnauthorized       = "unauthorized"        // no API key, or a revoked or mistyped one (401)
	CodeForbidden          = "forbidden"           // another app's key, a scope kind turned off, a server scope write not allowed (403)
	CodeNotFound           = "not_found"           // no such scope (404)
	CodeConflict           = "conflict"            // incr of a non-number, a lock token that holds no lease (409)
	CodePreconditionFailed = "precondition_failed" // a stale If-Match or If-Fence, or a create over a live scope (412)
	CodeRotated            = "rotated"             // a change to the old cfid of a rotated session (409)
	CodeLocked             = "locked"              // a named lock stayed held for all of the request's timeout (423)
	CodeTooLarge           = "too_large"           // a scope over the server's size limit (413)
	CodeInvalidSettings    = "invalid_settings"    // settings that cannot be applied (422)
	CodeUnavailable        = "unavailable"         // a storage, or scopestore itself, did not answer (503)
	CodeCorrupt            = "corrupt"             // a stored value scopestore cannot read (500)
	CodeInternal           = "internal"            // anything else (500)
)

// Sentinels to test an error's code with errors.Is; each matches any *Error
// with the same code.
var (
	// ErrNotFound is a scope that does not exist (expired, invalidated, never created).
	ErrNotFound = &Error{Code: CodeNotFound}
	// ErrConflict is a change that clashes with the scope, such as incr of a
	// non-number, or the renewal or release of a lock whose lease ended.
	ErrConflict = &Error{Code: CodeConflict}
	// ErrPreconditionFailed is a stale If-Match version, a write under the
	// fence of a lock taken over since (If-Fence), or a create over a live scope.
	ErrPreconditionFailed = &Error{Code: CodePreconditionFailed}
	// ErrRotated is a change sent to the old cfid of a rotated session; see (*Error).RotatedTo.
	ErrRotated = &Error{Code: CodeRotated}
	// ErrUnavailable is a storage that did not answer (503), or scopestore itself unreachable.
	ErrUnavailable = &Error{Code: CodeUnavailable}
	// ErrForbidden is a key of another app, a scope kind the app turned off, or
	// a write of the server scope by an app an administrator has not allowed.
	ErrForbidden = &Error{Code: CodeForbidden}
	// ErrUnauthorized is a missing, revoked or mistyped API key.
	ErrUnauthorized = &Error{Code: CodeUnauthorized}
	// ErrLocked is a named lock that another holder kept for all of the wait.
	ErrLocked = &Error{Code: CodeLocked}
)

// Error is a failed API call: the API's code and message, the HTTP status,
// and for a 503 how long to wait before trying again.
type Error struct {
	// Status is the HTTP status, 0 when scopestore could not be reached.
	Status int
	// Code is the API's error code, one of the Code constants.
	Code string
	// Message is the API's message, written for a person.
	Message string
	// RetryAfter is the wait the API asked for with Retry-After (503 only).
	RetryAfter time.Duration
	// Location is the Location header, which names the new cfid of a rotated session.
	Location string
	// Err is the transport error when scopestore could not be reached.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("scopestore: ")
	b.WriteString(e.Code)
	if e.Status != 0 {
		b.WriteString(" (")
		b.WriteString(strconv.Itoa(e.Status))
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrNotFound) works on any not-found answer.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// RotatedTo returns the cfid a rotated session moved to, named by the
// answer's Location header, or "" when the error is not about a rotation.
func (e *Error) RotatedTo() string {
	if e.Code != CodeRotated || e.Location == "" {
		return ""
	}
	cfid := e.Location[strings.LastIndexByte(e.Location, '/')+1:]
	if !validCFID(cfid) {
		return ""
	}
	return strings.ToLower(cfid)
}

// RetryAfter returns the wait a 503 asked for, and 0 for any other error.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// defaultRetryAfter is the wait reported when scopestore cannot be reached
// at all, the same the API asks for on a 503.
const defaultRetryAfter = 5 * time.Second

// unreachable wraps a transport error as an unavailable *Error, unless the
// caller's context ended, which is returned as it is.
func unreachable(ctx context.Context, baseURL string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("scopestore: %w", ctxErr)
	}
	return &Error{
		Code:       CodeUnavailable,
		Message:    "scopestore at " + baseURL + " did not answer",
		RetryAfter: defaultRetryAfter,
		Err:        err,
	}
}

// errorFromResponse reads an error answer: the JSON error body when there is
// one, else the status alone.
func errorFromResponse(res *http.Response, body []byte) *Error {
	e := &Error{Status: res.StatusCode, Location: res.Header.Get("Location")}
	var wire struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if decodeJSON(body, &wire) == nil && wire.Error.Code != "" {
		e.Code, e.Message = wire.Error.Code, wire.Error.Message
	} else {
		e.Code = codeOfStatus(res.StatusCode)
		e.Message = strings.TrimSpace(truncate(string(body), 200))
		if e.Message == "" {
			e.Message = http.StatusText(res.StatusCode)
		}
	}
	if res.StatusCode == http.StatusServiceUnavailable {
		e.RetryAfter = parseRetryAfter(res.Header.Get("Retry-After"))
	}
	return e
}

// codeOfStatus guesses the code of an answer without a JSON error body
// (from a proxy in front of scopestore, say).
func codeOfStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeInvalid
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusConflict:
		return CodeConflict
	case http.StatusPreconditionFailed:
		return CodePreconditionFailed
	case http.StatusRequestEntityTooLarge:
		return CodeTooLarge
	case http.StatusLocked:
		return CodeLocked
	case http.StatusUnprocessableEntity:
		return CodeInvalidSettings
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return CodeUnavailable
	}
	return CodeInternal
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date; an
// absent or unreadable value is the API's usual 5 seconds.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d.Round(time.Second)
		}
		return 0
	}
	return defaultRetryAfter
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
