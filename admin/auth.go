package admin

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

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
	return a.render(c, http.StatusOK, setupPage(m, setupForm{Username: "admin", Errors: map[string]string{}}))
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
	if !f.validate() {
		return a.render(c, http.StatusUnprocessableEntity, setupPage(a.meta(c, "Set up", ""), f))
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(f.Password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := a.Admins.SetAdminUser(ctx, scopes.AdminUser{Name: f.Username, PasswordHash: string(hash), Created: time.Now()}); err != nil {
		return err
	}
	a.audit(c, "admin.setup", f.Username, "first administrator created")
	if err := a.startSession(c, f.Username); err != nil {
		return err
	}
	setFlash(c, "ok", "The administrator password is set. Welcome to scopestore.")
	return redirect(c, Prefix+"/")
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
	addr, now := c.RealIP(), time.Now()
	if wait := a.throttle.wait(addr, now); wait > 0 {
		f.Errors["password"] = fmt.Sprintf("Too many failed logins from your address: try again in %d minutes.", int(wait.Minutes())+1)
		return a.render(c, http.StatusTooManyRequests, loginPage(a.meta(c, "Log in", ""), f))
	}
	ok, err := a.checkPassword(c, f.Username, f.Password)
	if err != nil {
		return err
	}
	if !ok {
		a.throttle.fail(addr, now)
		time.Sleep(failureDelay)
		a.Logger.Warn("failed admin login", "user", f.Username, "addr", addr)
		f.Errors["password"] = "The user name or password is wrong."
		f.Password = ""
		return a.render(c, http.StatusUnauthorized, loginPage(a.meta(c, "Log in", ""), f))
	}
	a.throttle.succeed(addr)
	if err := a.startSession(c, f.Username); err != nil {
		return err
	}
	return redirect(c, Prefix+"/")
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

// dummyHash is a bcrypt hash of nothing anybody types.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password anybody uses"), bcrypt.DefaultCost)

func (a *Console) logout(c echo.Context) error {
	if err := a.endSession(c); err != nil {
		return err
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
