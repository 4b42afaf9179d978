package scopes

import (
	"context"
	"errors"
	"fmt"
)

// The roles of the console's users. An administrator may do everything; an
// operator sees every page of the console, scope data masked, and changes
// nothing but its own password.
const (
	RoleAdministrator = "administrator"
	RoleOperator      = "operator"
)

// Roles lists the roles, the most powerful first.
var Roles = []string{RoleAdministrator, RoleOperator}

// ValidRole reports whether role is one of Roles; names are exact.
func ValidRole(role string) bool {
	return role == RoleAdministrator || role == RoleOperator
}

// ErrLastAdministrator is the cause of the refusal to delete or demote the
// last administrator, which would leave nobody able to manage the console
// (errors.Is).
var ErrLastAdministrator = errors.New("the last administrator")

// LastAdministratorRefusal is the config store's refusal to delete or
// demote name, the last administrator; what is "delete" or "make an
// operator".
func LastAdministratorRefusal(name, what string) error {
	return &Error{Code: EConflict, Err: ErrLastAdministrator, Message: fmt.Sprintf(
		"%s is the last administrator: %s would leave nobody able to change settings or manage users; make another user an administrator first",
		name, what)}
}

// AdminUserEditor adds, deletes and changes the console's users. Each
// change that would leave no administrator is refused with
// LastAdministratorRefusal, checked in the same transaction as the change
// so that two administrators acting at once cannot both pass the check.
type AdminUserEditor interface {
	// AddAdminUser creates a user (Role empty: RoleAdministrator); a name
	// in use is an EConflict.
	AddAdminUser(ctx context.Context, u AdminUser) error
	// DeleteAdminUser deletes the user and ends its console sessions;
	// ENotFound when there is no such user.
	DeleteAdminUser(ctx context.Context, name string) error
	// SetAdminRole changes the user's role; ENotFound when there is no such user.
	SetAdminRole(ctx context.Context, name, role string) error
	// SetAdminPassword replaces the user's password hash, sets whether
	// the user must change it (a generated one) and ends its console
	// sessions but the one whose id hash is keep ("": every one);
	// ENotFound when there is no such user.
	SetAdminPassword(ctx context.Context, name, hash, keep string, mustChange bool) error
}
