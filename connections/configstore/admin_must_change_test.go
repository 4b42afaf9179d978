package configstore

import (
	"context"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// TestAdminMustChangePassword checks on every dialect that a user's "must
// change password" flag is stored by each way a password is set, and read
// back by each way a user is read.
func TestAdminMustChangePassword(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := mustOpen(t, b.dsn(t), t.TempDir(), testKey)
			mustChange := func(name string) bool {
				t.Helper()
				u, found, err := s.AdminUser(ctx, name)
				if err != nil || !found {
					t.Fatalf("AdminUser(%s): %v, %v", name, found, err)
				}
				return u.MustChangePassword
			}

			must(t, "SetAdminUser", s.SetAdminUser(ctx, scopes.AdminUser{Name: "admin", PasswordHash: "typed"}))
			must(t, "AddAdminUser", s.AddAdminUser(ctx, scopes.AdminUser{Name: "olga", PasswordHash: "generated",
				Role: scopes.RoleOperator, MustChangePassword: true}))
			must(t, "AddAdminUser", s.AddAdminUser(ctx, scopes.AdminUser{Name: "bob", PasswordHash: "typed"}))
			if mustChange("admin") || !mustChange("olga") || mustChange("bob") {
				t.Fatalf("after adding: admin %v, olga %v, bob %v", mustChange("admin"), mustChange("olga"), mustChange("bob"))
			}
			users, err := s.AdminUsers(ctx)
			must(t, "AdminUsers", err)
			for _, u := range users {
				if u.MustChangePassword != (u.Name == "olga") {
					t.Errorf("AdminUsers: %s must change its password: %v", u.Name, u.MustChangePassword)
				}
			}

			// A password chosen clears it; a generated one sets it.
			must(t, "SetAdminPassword typed", s.SetAdminPassword(ctx, "olga", "chosen", "", false))
			if mustChange("olga") {
				t.Error("olga still must change the password she chose")
			}
			must(t, "SetAdminPassword generated", s.SetAdminPassword(ctx, "bob", "generated", "", true))
			if !mustChange("bob") {
				t.Error("bob's generated password is not to be changed")
			}
			if u, _, _ := s.AdminUser(ctx, "bob"); u.PasswordHash != "generated" || u.Role != scopes.RoleAdministrator {
				t.Errorf("bob after a generated password: %+v", u)
			}
			// SetAdminUser (the console's setup) sets it as given, both ways.
			must(t, "SetAdminUser generated", s.SetAdminUser(ctx, scopes.AdminUser{Name: "admin", PasswordHash: "g", MustChangePassword: true}))
			if !mustChange("admin") {
				t.Error("SetAdminUser did not set the flag")
			}
			must(t, "SetAdminUser typed", s.SetAdminUser(ctx, scopes.AdminUser{Name: "admin", PasswordHash: "t"}))
			if mustChange("admin") {
				t.Error("SetAdminUser did not clear the flag")
			}
		})
	}
}
