package admin_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// downStorages is a storage registry whose every store fails to open, as a
// Redis that does not answer.
type downStorages struct{ scopes.Storages }

func (downStorages) Store(context.Context, string) (scopes.Store, error) {
	return nil, errors.New("dial tcp 127.0.0.1:6390: connect: connection refused")
}

// The admin JSON API answers a storage failure as the runtime API does:
// 503, code unavailable, a message naming the storage, and Retry-After.
func TestAdminAPIStorageDownIs503WithRetryAfter(t *testing.T) {
	tc := newTestConsoleOn(t, false, func(s scopes.Storages) scopes.Storages { return downStorages{s} })
	tc.createApp2(t, "shop")
	tc.login()
	var failure struct {
		Error struct{ Code, Message string }
	}
	status, h := tc.getJSON(t, "/admin/api/v1/apps/shop/sessions", &failure)
	if status != http.StatusServiceUnavailable || failure.Error.Code != scopes.EUnavailable || h.Get("Retry-After") == "" {
		t.Fatalf("storage down: %d %+v, Retry-After %q; want 503 unavailable with Retry-After", status, failure, h.Get("Retry-After"))
	}
	t.Logf("storage down: %d %q", status, failure.Error.Message)
}
