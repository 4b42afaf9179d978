package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

func TestStatusOfEveryCode(t *testing.T) {
	codes := []string{scopes.EInvalid, scopes.EUnauthorized, scopes.EForbidden, scopes.ENotFound, scopes.EConflict,
		scopes.EPreconditionFailed, scopes.ERotated, scopes.ETooLarge, scopes.ETooManyRequests, scopes.EInvalidSettings, scopes.EUnavailable, scopes.ECorrupt, scopes.EUnsupported, scopes.EInternal}
	for _, c := range codes {
		if _, ok := statusOfCode[c]; !ok {
			t.Errorf("code %q has no status", c)
		}
	}
	if got := StatusOf(scopes.Errorf(scopes.EPreconditionFailed, "stale")); got != http.StatusPreconditionFailed {
		t.Errorf("StatusOf(precondition_failed) = %d", got)
	}
	if got := StatusOf(errors.New("boom")); got != http.StatusInternalServerError {
		t.Errorf("StatusOf(plain error) = %d", got)
	}
}

func TestWriteErrorRetryAfterOn503Only(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := WriteError(rec, http.StatusServiceUnavailable, scopes.EUnavailable, "Redis <down> & out"); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 503 || rec.Header().Get("Retry-After") != RetryAfter {
		t.Errorf("503: status %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if want := `{"error":{"code":"unavailable","message":"Redis <down> & out"}}`; strings.TrimSpace(rec.Body.String()) != want {
		t.Errorf("body %s, want %s (no HTML escaping)", rec.Body, want)
	}
	rec = httptest.NewRecorder()
	_ = WriteError(rec, http.StatusNotFound, scopes.ENotFound, "gone")
	if rec.Header().Get("Retry-After") != "" {
		t.Errorf("a 404 carries Retry-After %q", rec.Header().Get("Retry-After"))
	}
}
