package scopes

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// AdminToken is an admin API token as the config store keeps it: never the
// token itself. A token acts for its user, with the user's role as it is
// when the token is used, so that a user demoted to operator cannot keep
// changing settings through a token made before.
type AdminToken struct {
	// ID names the token in the console, the command line and the audit log.
	ID   int64
	User string
	// Name says what the token is for ("laptop", "deploy script").
	Name    string
	Created time.Time
	// LastUsed is the last request made with the token that an instance
	// recorded, to within KeyUseInterval; zero when it was never used.
	LastUsed time.Time
	// Revoked is when the token was revoked; zero while it is active.
	Revoked time.Time
}

// Active tells whether the token still signs its user in.
func (t AdminToken) Active() bool { return t.Revoked.IsZero() }

// Title is how messages and the audit log name the token: its id and name.
func (t AdminToken) Title() string {
	return fmt.Sprintf("admin token %d (%q) of %s", t.ID, t.Name, t.User)
}

// AdminTokenPrefix starts every admin API token, so that secret scanners
// and people tell one from an app's API key ("ssk_").
const AdminTokenPrefix = "sst_"

// NewAdminToken returns a new random admin API token and the SHA-256 hex
// digest under which the config store keeps it.
func NewAdminToken() (token, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	token = AdminTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashAPIKey(token)
}

// LooksLikeAdminToken tells whether s has the form of an admin API token,
// so that an app's API key given by mistake gets a message that says so.
func LooksLikeAdminToken(s string) bool { return strings.HasPrefix(s, AdminTokenPrefix) }

// ValidateTokenName trims a token's name and checks it as a key's label
// (ValidateKeyLabel); an empty name becomes "token".
func ValidateTokenName(name string) (string, error) {
	name, err := ValidateKeyLabel(name)
	if err != nil {
		return "", Errorf(EInvalid, "the token name %s", strings.TrimPrefix(ErrorMessage(err), "the key label "))
	}
	if name == "" {
		name = "token"
	}
	return name, nil
}

// AdminTokenStore keeps the admin API tokens. "Not found" is a value.
type AdminTokenStore interface {
	// AddAdminToken stores an active token of the user under the SHA-256
	// hex of the token; ENotFound when there is no such user.
	AddAdminToken(ctx context.Context, user, name, hash string, now time.Time) (AdminToken, error)
	// AdminTokens lists every token, revoked ones too, oldest first.
	AdminTokens(ctx context.Context) ([]AdminToken, error)
	// ActiveAdminToken returns the active token with this hash.
	ActiveAdminToken(ctx context.Context, hash string) (t AdminToken, found bool, err error)
	// RevokeAdminToken revokes the token with this id; a token revoked
	// already is an EConflict.
	RevokeAdminToken(ctx context.Context, id int64, now time.Time) (t AdminToken, found bool, err error)
	// AdminTokenUsed records that the token with this hash was used at.
	AdminTokenUsed(ctx context.Context, hash string, at time.Time) error
}
