package admin

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/scopestore/scopestore/scopes"
)

// MinPasswordLength is the shortest password a console user may have, in
// characters.
const MinPasswordLength = 12

// maxPasswordBytes is bcrypt's limit: it reads no more of a password.
const maxPasswordBytes = 72

// maxUsernameLength is the longest user name, in characters.
const maxUsernameLength = 64

// Users manages the console's users for the console and the command line:
// it checks names, roles and passwords, hashes passwords with bcrypt, stores
// the change, and records it in the audit log as ctx's actor (scopes.WithActor).
type Users struct {
	Store scopes.AdminStore
}

// CheckUserName refuses a user name the console cannot show, put in an
// address or tell apart: up to 64 letters, digits and . _ - @.
func CheckUserName(name string) error {
	if name == "" {
		return scopes.Errorf(scopes.EInvalid, "a user name is required")
	}
	if utf8.RuneCountInString(name) > maxUsernameLength {
		return scopes.Errorf(scopes.EInvalid, "the user name is longer than %d characters", maxUsernameLength)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-@", r) {
			return scopes.Errorf(scopes.EInvalid, "the user name %q holds %q: use letters, digits and . _ - @ without spaces", name, r)
		}
	}
	return nil
}

// CheckPassword refuses a password shorter than MinPasswordLength
// characters or longer than bcrypt reads.
func CheckPassword(password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return scopes.Errorf(scopes.EInvalid, "the password is shorter than %d characters", MinPasswordLength)
	}
	if len(password) > maxPasswordBytes {
		return scopes.Errorf(scopes.EInvalid, "the password is longer than %d bytes, all that bcrypt reads", maxPasswordBytes)
	}
	return nil
}

// CheckRole refuses a role that is not scopes.RoleAdministrator or scopes.RoleOperator.
func CheckRole(role string) error {
	if !scopes.ValidRole(role) {
		return scopes.Errorf(scopes.EInvalid, "%q is not a role: use %s (may do everything) or %s (sees every page, changes nothing)",
			role, scopes.RoleAdministrator, scopes.RoleOperator)
	}
	return nil
}

// GeneratePassword returns a new random password of 20 letters and digits
// in groups of five (about 100 bits), without the characters that look alike.
func GeneratePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no i, l, o, 0, 1
	var b strings.Builder
	for i := range 20 {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[randIndex(len(alphabet))])
	}
	return b.String()
}

// randIndex returns a uniform random number below n (n < 256).
func randIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		_, _ = rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// hashPassword is the one hashing of console passwords: bcrypt at its
// default cost.
func hashPassword(password string) (string, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash the password: %w", err)
	}
	return string(hash), nil
}

// Add creates a user with the role and a password typed for them.
func (u Users) Add(ctx context.Context, name, role, password string) error {
	return u.add(ctx, name, role, password, false)
}

// AddGenerated creates a user with the role and a generated password,
// which it returns to be shown once: the user must choose their own at
// their first login.
func (u Users) AddGenerated(ctx context.Context, name, role string) (string, error) {
	password := GeneratePassword()
	return password, u.add(ctx, name, role, password, true)
}

func (u Users) add(ctx context.Context, name, role, password string, generated bool) error {
	for _, err := range []error{CheckUserName(name), CheckRole(role), CheckPassword(password)} {
		if err != nil {
			return err
		}
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	err = u.Store.AddAdminUser(ctx, scopes.AdminUser{Name: name, PasswordHash: hash, Role: role, Created: time.Now(),
		MustChangePassword: generated})
	if err != nil {
		return err
	}
	detail := "user added as " + role
	if generated {
		detail += ", with a generated password to change at the first login"
	}
	u.audit(ctx, "admin.user.add", name, detail)
	return nil
}

// Delete deletes the user and ends its console sessions; the last
// administrator stays (scopes.ErrLastAdministrator).
func (u Users) Delete(ctx context.Context, name string) error {
	user, err := u.user(ctx, name)
	if err != nil {
		return err
	}
	if err := u.Store.DeleteAdminUser(ctx, name); err != nil {
		return err
	}
	u.audit(ctx, "admin.user.delete", name, "user deleted ("+user.Role+"); its console sessions ended")
	return nil
}

// SetRole changes the user's role; making the last administrator an
// operator is refused (scopes.ErrLastAdministrator). It tells whether the
// role changed.
func (u Users) SetRole(ctx context.Context, name, role string) (bool, error) {
	if err := CheckRole(role); err != nil {
		return false, err
	}
	user, err := u.user(ctx, name)
	if err != nil {
		return false, err
	}
	if user.Role == role {
		return false, nil
	}
	if err := u.Store.SetAdminRole(ctx, name, role); err != nil {
		return false, err
	}
	u.audit(ctx, "admin.user.role", name, "role: "+user.Role+" → "+role)
	return true, nil
}

// SetPassword gives the user a new password, typed, and ends its console
// sessions but the one whose id hash is keep ("": every one); why says who
// set it, for the audit log. A typed password need not be changed: it
// lifts the duty to change a generated one.
func (u Users) SetPassword(ctx context.Context, name, password, keep, why string) error {
	return u.setPassword(ctx, name, password, keep, why, false)
}

// SetGeneratedPassword gives the user a generated password, which it
// returns to be shown once, and ends every console session of the user,
// who must choose their own password at their next login.
func (u Users) SetGeneratedPassword(ctx context.Context, name, why string) (string, error) {
	password := GeneratePassword()
	return password, u.setPassword(ctx, name, password, "", why+"; generated, to change at the next login", true)
}

func (u Users) setPassword(ctx context.Context, name, password, keep, why string, generated bool) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	if err := u.Store.SetAdminPassword(ctx, name, hash, keep, generated); err != nil {
		return err
	}
	u.audit(ctx, "admin.passwd", name, why)
	return nil
}

// user reads a user, a missing one an ENotFound.
func (u Users) user(ctx context.Context, name string) (scopes.AdminUser, error) {
	user, found, err := u.Store.AdminUser(ctx, name)
	if err != nil {
		return user, err
	}
	if !found {
		return user, scopes.Errorf(scopes.ENotFound, "there is no user %s", name)
	}
	return user, nil
}

// audit records a change to a user as ctx's actor.
func (u Users) audit(ctx context.Context, action, target, detail string) {
	e := scopes.AuditEntry{At: time.Now(), Actor: scopes.ActorFrom(ctx), Action: action, Target: target, Detail: detail}
	if err := u.Store.AddAudit(ctx, e); err != nil {
		slog.ErrorContext(ctx, "audit log write failed", "action", action, "target", target, "err", err)
	}
}
