package admin

import (
	"context"

	"github.com/scopestore/scopestore/scopes"
)

// withActor marks changes made in the console as the administrator's.
func withActor(ctx context.Context, user string) context.Context {
	return scopes.WithActor(ctx, "admin:"+user)
}
