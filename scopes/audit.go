package scopes

import (
	"context"
	"time"
)

// AuditEntry is one change recorded in the audit log: who changed what,
// when, and how (old → new, secrets masked). Its JSON is one line of the
// console's export and of `scopestore audit list --json`.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
}

// Auditor records changes in the audit log.
type Auditor interface {
	AddAudit(ctx context.Context, e AuditEntry) error
}

type actorKey struct{}

// WithActor returns ctx carrying who acts: "admin:alice", "cli:root", "app:shop".
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns who acts in ctx, "unknown" when nobody said.
func ActorFrom(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "unknown"
}

// AdminUser is a user of the console; the password is kept only as a hash.
type AdminUser struct {
	Name         string
	PasswordHash string
	Created      time.Time
	// Role is RoleAdministrator or RoleOperator (admin_role.go); empty
	// when a user is created means RoleAdministrator.
	Role string
	// LastLogin is when the user last logged in to the console, zero when never.
	LastLogin time.Time
	// MustChangePassword tells that the password was generated for the
	// user, who must choose one of their own before using the console.
	MustChangePassword bool
}

// AdminStore keeps the admin console's users and sessions and the audit log.
// "Not found" is a value.
type AdminStore interface {
	Auditor
	// Audit returns up to limit entries older than the entry with ID before
	// (0 for the newest), newest first.
	Audit(ctx context.Context, before int64, limit int) ([]AuditEntry, error)
	// AuditReader reads the log filtered, by keyset, for the audit page,
	// its export and the CLI.
	AuditReader

	AdminUsers(ctx context.Context) ([]AdminUser, error)
	AdminUser(ctx context.Context, name string) (u AdminUser, found bool, err error)
	// SetAdminUser creates the user or replaces its password hash and
	// MustChangePassword (its role stays).
	SetAdminUser(ctx context.Context, u AdminUser) error
	// AdminUserEditor adds, deletes and changes users (admin_role.go).
	AdminUserEditor

	// CreateAdminSession stores a login session under the hash of its id,
	// and records it as the user's last login.
	CreateAdminSession(ctx context.Context, idHash, user string, expires time.Time) error
	// AdminSession returns the user of an unexpired session.
	AdminSession(ctx context.Context, idHash string, now time.Time) (user string, found bool, err error)
	DeleteAdminSession(ctx context.Context, idHash string) error
	DeleteExpiredAdminSessions(ctx context.Context, now time.Time) (int, error)
	// AdminTokenStore keeps the admin API tokens (admin_token.go).
	AdminTokenStore
	// StorageMoveStore keeps the jobs that move live scopes (storage_move.go).
	StorageMoveStore
}

// MigrationStep is one change a datasource's scope tables need.
type MigrationStep struct {
	Table  string
	Action string
	SQL    string
	// Rows is how many rows the step deletes (duplicates), planned or done.
	Rows int64
}

// TableStatus is the state of one scope table of a datasource.
type TableStatus struct {
	Table        string
	Exists       bool
	PrimaryKey   []string
	DataType     string
	ExpiresIndex bool
	NameIndex    bool
	Rows         int64
	Expired      int64
	Duplicates   int64
	// Undecodable counts rows not in scopestore's format (written by Lucee).
	Undecodable int64
}
