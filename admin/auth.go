package admin

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// needsSetup tells whether the console has no administrator yet, and no
// SCOPESTORE_ADMIN_PASSWORD to stand in for one.
func (a *Console) needsSetup(c echo.Context) (bool, error) {
	if a.InitialPassword != "" {
		return false, nil
	}
	users, err := a.Admins.AdminUsers(c.Request().Context())
	return len(users) == 0, err
}

func (a *Console) setupForm(c echo.Context) error {
	need, err := a.needsSetup(c)
	if err != nil {
		return err
	}
	if !need {
		return redirect(c, Prefix+"/login")
	}
	m := a.meta(c, "Set up", "")
	return a.render(c, http.StatusOK, setupPage(m, setupForm{TokenRequired: a.SetupToken != "", Username: "admin", Errors: map[string]string{}}))
}

func (a *Console) setupSubmit(c echo.Context) error {
	need, err := a.needsSetup(c)
	if err != nil {
		return err
	}
	if !need {
		return redirect(c, Prefix+"/login")
	}
	f := readSetupForm(c)
	f.TokenRequired = a.SetupToken != ""
	valid := f.validate()
	if f.TokenRequired && f.Token != "" && !a.setupTokenMatches(f.Token) {
		a.Logger.Warn("admin setup refused: wrong setup token", "addr", c.RealIP())
		f.Errors["token"] = "This is not the setup token. Copy it from the warning \"first-run setup\" in scopestore's log and try again."
		return a.render(c, http.StatusForbidden, setupPage(a.meta(c, "Set up", ""), f))
	}
	if !valid {
		return a.render(c, http.StatusUnprocessableEntity, setupPage(a.meta(c, "Set up", ""), f))
	}
	hash, err := hashPassword(f.Password)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := a.Admins.SetAdminUser(ctx, scopes.AdminUser{Name: f.Username, PasswordHash: hash, Created: time.Now(),
		Role: scopes.RoleAdministrator}); err != nil {
		return err
	}
	a.audit(c, "admin.setup", f.Username, "first administrator created")
	if err := a.startSession(c, f.Username); err != nil {
		return err
	}
	setFlash(c, "ok", "The administrator password is set. Welcome to scopestore.")
	return redirect(c, Prefix+"/")
}

// setupTokenMatches compares in constant time, so that the answer's timing
// does not tell how much of a guess was right.
func (a *Console) setupTokenMatches(token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(a.SetupToken)) == 1
}

func (a *Console) loginForm(c echo.Context) error {
	if need, err := a.needsSetup(c); err != nil {
		return err
	} else if need {
		return redirect(c, Prefix+"/setup")
	}
	return a.render(c, http.StatusOK, loginPage(a.meta(c, "Log in", ""), loginForm{Username: "admin", Errors: map[string]string{}}))
}

func (a *Console) loginSubmit(c echo.Context) error {
	if need, err := a.needsSetup(c); err != nil {
		return err
	} else if need {
		return redirect(c, Prefix+"/setup")
	}
	f := readLoginForm(c)
	addr, user, now := httpapi.LimitKey(c.RealIP()), throttleUser(f.Username), time.Now()
	if wait := a.addrThrottle.wait(addr, now); wait > 0 {
		f.Errors["password"] = fmt.Sprintf("Too many failed logins from your address: try again in %d minutes.", int(wait.Minutes())+1)
		a.auditLogin(c, actionLoginLocked, f.Username, addr, fmt.Sprintf("refused: %d failed logins from this address within %s; "+
			"it may try again in %d minutes (refusals are recorded once a minute per address)", addrMaxFailures, failureWindow, int(wait.Minutes())+1))
		return a.render(c, http.StatusTooManyRequests, loginPage(a.meta(c, "Log in", ""), f))
	}
	if wait := a.userThrottle.wait(user, now); wait > 0 && !a.known.has(user, addr, now) {
		a.Logger.Warn("admin login paced: many failed logins for this user", "user", f.Username, "addr", addr)
		f.Errors["password"] = fmt.Sprintf("Too many failed logins for this user from other addresses: try again in %d seconds.", int(wait.Seconds())+1)
		a.auditLogin(c, actionLoginPaced, f.Username, addr, fmt.Sprintf("refused: over %d failed logins for this user name within %s; "+
			"one attempt per %s (refusals are recorded once a minute per address)", userFreeFailures, failureWindow, userSpacing))
		return a.render(c, http.StatusTooManyRequests, loginPage(a.meta(c, "Log in", ""), f))
	}
	ok, err := a.checkPassword(c, f.Username, f.Password)
	if err != nil {
		return err
	}
	if !ok {
		a.addrThrottle.fail(addr, now)
		a.userThrottle.fail(user, now)
		time.Sleep(failureDelay)
		a.Logger.Warn("failed admin login", "user", f.Username, "addr", addr)
		a.auditLogin(c, actionLoginFailed, f.Username, addr, "wrong user name or password")
		f.Errors["password"] = "The user name or password is wrong."
		f.Password = ""
		return a.render(c, http.StatusUnauthorized, loginPage(a.meta(c, "Log in", ""), f))
	}
	// The user's failures stay: a success must not give an attacker a fresh
	// allowance. This address is spared the user's pacing from now on.
	a.addrThrottle.succeed(addr)
	a.known.add(user, addr, now)
	if a.InitialPassword != "" && f.Username == "admin" {
		if err := a.envAdmin(c); err != nil {
			return err
		}
	}
	if err := a.startSession(c, f.Username); err != nil {
		return err
	}
	a.auditLogin(c, actionLogin, f.Username, addr, "logged in to the console")
	if u, _, err := a.Admins.AdminUser(c.Request().Context(), f.Username); err == nil && u.MustChangePassword {
		return redirect(c, passwordPath)
	}
	return redirect(c, Prefix+"/")
}

// throttleUser is the key under which a user name's failed logins are
// counted: case folded, since a config store may match names without case,
// and bounded, since no user name is longer than the setup allows.
func throttleUser(name string) string {
	name = strings.ToLower(name)
	if len(name) > maxUsernameLength+1 {
		name = name[:maxUsernameLength+1]
	}
	return name
}

// checkPassword accepts a stored administrator's password, and for user
// "admin" the password of SCOPESTORE_ADMIN_PASSWORD.
func (a *Console) checkPassword(c echo.Context, user, password string) (bool, error) {
	if a.InitialPassword != "" && user == "admin" &&
		subtle.ConstantTimeCompare([]byte(password), []byte(a.InitialPassword)) == 1 {
		return true, nil
	}
	u, found, err := a.Admins.AdminUser(c.Request().Context(), user)
	if err != nil {
		return false, err
	}
	if !found {
		// Spend the time a real check takes, so that timing does not tell which users exist.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false, nil
	}
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil, nil
}

// envOnlyHash is the password hash of the user admin made for
// SCOPESTORE_ADMIN_PASSWORD: it matches no password, so that admin logs in
// with the variable's until a password of its own is set.
const envOnlyHash = "!SCOPESTORE_ADMIN_PASSWORD"

// envAdmin makes the user admin that SCOPESTORE_ADMIN_PASSWORD lets in,
// when it has no row yet: an administrator, so that the Users page lists
// it, the last administrator's guard counts it, and it can be given a
// password of its own.
func (a *Console) envAdmin(c echo.Context) error {
	ctx := c.Request().Context()
	if _, found, err := a.Admins.AdminUser(ctx, "admin"); err != nil || found {
		return err
	}
	err := a.Admins.AddAdminUser(ctx, scopes.AdminUser{Name: "admin", PasswordHash: envOnlyHash, Role: scopes.RoleAdministrator, Created: time.Now()})
	if scopes.ErrorCode(err) == scopes.EConflict {
		// Another instance made it just now.
		return nil
	} else if err != nil {
		return err
	}
	a.audit(c, "admin.user.add", "admin", "user added as administrator at its first login with SCOPESTORE_ADMIN_PASSWORD, which stays its password until it sets one")
	return nil
}

// dummyHash is a bcrypt hash of nothing anybody types.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password anybody uses"), bcrypt.DefaultCost)

func (a *Console) logout(c echo.Context) error {
	if err := a.endSession(c); err != nil {
		return err
	}
	if user, ok := c.Get(userKey).(string); ok {
		a.auditLogin(c, actionLogout, user, "", "logged out of the console")
	}
	setFlash(c, "ok", "You are logged out.")
	return redirect(c, Prefix+"/login")
}

// audit records a console action that no domain service records itself.
func (a *Console) audit(c echo.Context, action, target, detail string) {
	ctx := c.Request().Context()
	e := scopes.AuditEntry{At: time.Now(), Actor: scopes.ActorFrom(ctx), Action: action, Target: target, Detail: detail}
	if e.Actor == "unknown" {
		e.Actor = "admin:" + target
	}
	if err := a.Admins.AddAudit(ctx, e); err != nil {
		a.Logger.Error("audit log write failed", "action", action, "err", err)
	}
}
