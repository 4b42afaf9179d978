package admin

import (
	"errors"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// The console and the admin JSON API (and so the CLI) word Verify's checks
// alike: the cause after the message, the check's name cut off where Redis
// repeats it, a password a driver's message quotes masked, a skipped check
// told apart.
func TestVerifyChecksWordedAlike(t *testing.T) {
	const secret = "S3cret-pw"
	cause := errors.New("dial redis://app:" + secret + "@10.0.0.9:6379: connection refused")
	hs := []scopes.Health{
		{Name: "ping"},
		{Name: "write", Err: &scopes.Error{Code: scopes.EUnavailable, Message: "redis: verify write: the server did not answer", Err: cause}},
		{Name: "cluster", Err: errors.New("skipped: not a Redis Cluster")},
	}
	api := NewAPIChecks(hs, secret)
	page := verifyChecks(hs, secret)
	if len(api) != 3 || len(page) != 3 {
		t.Fatalf("checks: %+v, %+v", api, page)
	}
	for i := range hs {
		if api[i].Name != page[i].Name || api[i].OK != page[i].OK || api[i].Message != page[i].Message || api[i].Skipped != page[i].Skipped {
			t.Errorf("check %d: API %+v, page %+v", i, api[i], page[i])
		}
	}
	if !api[0].OK || api[0].Message != "" {
		t.Errorf("a passed check: %+v", api[0])
	}
	w := api[1]
	if w.OK || strings.HasPrefix(w.Message, "redis: verify") || !strings.Contains(w.Message, "connection refused") {
		t.Errorf("a failed check: %q; want the cause, without the repeated name", w.Message)
	}
	if strings.Contains(w.Message, secret) || !strings.Contains(w.Message, "********") {
		t.Errorf("the password a driver quoted is shown: %q", w.Message)
	}
	if !api[2].Skipped || api[2].OK {
		t.Errorf("a skipped check: %+v", api[2])
	}
}
