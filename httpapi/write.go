package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
)

// RetryAfter is the Retry-After, in seconds, that every 503 carries.
const RetryAfter = "5"

// RetryAfterRateLimited is the Retry-After, in seconds, of a 429 whose
// handler did not set one: a rate limit frees a request within a second.
const RetryAfterRateLimited = "1"

// ErrorBody is how both APIs write an error: {"error":{"code","message"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the code and the message a caller can act on.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteError writes an error body with its status, and a Retry-After when
// the status is 503 or 429 so that clients know when to try again (a 429's
// handler may have set a longer one).
func WriteError(w http.ResponseWriter, status int, code, message string) error {
	switch {
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", RetryAfter)
	case status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "":
		w.Header().Set("Retry-After", RetryAfterRateLimited)
	}
	return WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}

// WriteJSON writes v as JSON with its status, without HTML escaping so that
// a urltoken reads CFID=…&CFTOKEN=… rather than \u0026.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return Encode(w, v, "")
}

// Encode writes v as JSON without HTML escaping, indented when indent is
// not empty.
func Encode(w io.Writer, v any, indent string) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc.Encode(v)
}
