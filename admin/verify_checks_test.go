package admin

import (
	"errors"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// The console and the admin JSON API (and so the CLI) word Verify's checks
// alike.
func TestVerifyChecksWordedAlike(t *testing.T) {
	hs := []scopes.Health{
		{Name: "ping"},
		{Name: "write", Err: &scopes.Error{Code: scopes.EUnavailable, Message: "redis: verify write: the server did not answer",
			Err: errors.New("connection refused")}},
		{Name: "cluster", Err: errors.New("skipped: not a Redis Cluster")},
	}
	api, page := NewAPIChecks(hs), verifyChecks(hs)
	for i, h := range hs {
		a, p := api[i], page[i]
		if a.Name != p.Name || a.OK != p.OK || a.Message != p.Message || a.Skipped != p.Skipped ||
			a.Message != h.Message() || a.Skipped != h.Skipped() || a.OK != (h.Err == nil) {
			t.Errorf("check %d: API %+v, page %+v", i, a, p)
		}
	}
}
