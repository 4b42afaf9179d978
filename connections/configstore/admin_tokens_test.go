package configstore

import (
	"context"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// tokenStoreTests run in TestStore beside storeTests, on every dialect.
var tokenStoreTests = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"admin tokens are added, found by hash, used, revoked and go with their user", func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, name := range []string{"alice", "bob"} {
			must(t, "AddAdminUser", e.s.AddAdminUser(ctx, scopes.AdminUser{Name: name, PasswordHash: "h", Created: now,
				Role: scopes.RoleAdministrator}))
		}
		if _, err := e.s.AddAdminToken(ctx, "nobody", "x", hash("t0"), now); scopes.ErrorCode(err) != scopes.ENotFound {
			t.Fatalf("a token of no user: %v, want not_found", err)
		}
		a, err := e.s.AddAdminToken(ctx, "alice", "  laptop ", hash("t1"), now)
		must(t, "AddAdminToken", err)
		if a.User != "alice" || a.Name != "laptop" || !a.Created.Equal(now.Truncate(time.Microsecond)) || !a.Active() || !a.LastUsed.IsZero() {
			t.Fatalf("added %+v", a)
		}
		b, err := e.s.AddAdminToken(ctx, "bob", "", hash("t2"), now)
		must(t, "AddAdminToken", err)
		if b.Name != "token" || b.ID == a.ID {
			t.Fatalf("second token %+v (first %+v)", b, a)
		}
		if _, err := e.s.AddAdminToken(ctx, "bob", "again", hash("t2"), now); scopes.ErrorCode(err) != scopes.EConflict {
			t.Fatalf("a hash in use: %v, want conflict", err)
		}

		got, found, err := e.s.ActiveAdminToken(ctx, hash("t1"))
		must(t, "ActiveAdminToken", err)
		if !found || got.ID != a.ID || got.User != "alice" {
			t.Fatalf("ActiveAdminToken(t1) = %+v, %v", got, found)
		}
		if _, found, err := e.s.ActiveAdminToken(ctx, hash("none")); err != nil || found {
			t.Fatalf("an unknown hash: found %v, %v", found, err)
		}
		must(t, "AdminTokenUsed", e.s.AdminTokenUsed(ctx, hash("t1"), now.Add(time.Minute)))
		must(t, "AdminTokenUsed", e.s.AdminTokenUsed(ctx, hash("t1"), now)) // earlier: kept later time

		rev, found, err := e.s.RevokeAdminToken(ctx, a.ID, now.Add(time.Hour))
		must(t, "RevokeAdminToken", err)
		if !found || rev.Active() {
			t.Fatalf("revoked %+v, %v", rev, found)
		}
		if _, _, err := e.s.RevokeAdminToken(ctx, a.ID, now.Add(time.Hour)); scopes.ErrorCode(err) != scopes.EConflict {
			t.Fatalf("a second revocation: %v, want conflict", err)
		}
		if _, found, err := e.s.RevokeAdminToken(ctx, 99999, now); err != nil || found {
			t.Fatalf("revoking no token: found %v, %v", found, err)
		}
		if _, found, _ := e.s.ActiveAdminToken(ctx, hash("t1")); found {
			t.Fatal("a revoked token is still active")
		}

		all, err := e.s.AdminTokens(ctx)
		must(t, "AdminTokens", err)
		if len(all) != 2 || all[0].ID != a.ID || !all[0].LastUsed.Equal(now.Add(time.Minute).Truncate(time.Microsecond)) || all[0].Active() {
			t.Fatalf("AdminTokens = %+v", all)
		}

		// Deleting a user deletes its tokens.
		must(t, "DeleteAdminUser", e.s.DeleteAdminUser(ctx, "bob"))
		all, err = e.s.AdminTokens(ctx)
		must(t, "AdminTokens", err)
		if len(all) != 1 || all[0].User != "alice" {
			t.Fatalf("after deleting bob: %+v", all)
		}
	}},
}
