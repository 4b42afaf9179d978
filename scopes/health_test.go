package scopes_test

import (
	"errors"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// A failed check reads as the error and its cause, without the name that
// Redis's checks repeat; a skipped one is told apart.
func TestHealthMessage(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.9:6379: connection refused")
	hs := []scopes.Health{
		{Name: "ping"},
		{Name: "write", Err: &scopes.Error{Code: scopes.EUnavailable, Message: "redis: verify write: the server did not answer", Err: cause}},
		{Name: "cluster", Err: errors.New("skipped: not a Redis Cluster")},
	}
	if hs[0].Message() != "" || hs[0].Skipped() {
		t.Errorf("a passed check: %q", hs[0].Message())
	}
	if got, want := hs[1].Message(), "the server did not answer ("+cause.Error()+")"; got != want {
		t.Errorf("a failed check: %q, want %q", got, want)
	}
	if !hs[2].Skipped() || hs[1].Skipped() {
		t.Error("skipped checks not told apart")
	}
}
