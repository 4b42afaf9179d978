package admin

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
)

// passwordPath is where users change their own password.
const passwordPath = Prefix + "/password"

// passwordView is the Password page.
type passwordView struct {
	Form passwordForm
	// EnvPassword tells that the signed-in user is admin and
	// SCOPESTORE_ADMIN_PASSWORD is set, which stays a password of admin's.
	EnvPassword bool
	// MustChange tells that the user's password was generated: they must
	// choose their own before the console shows another page.
	MustChange bool
}

func (a *Console) passwordForm(c echo.Context) error {
	return a.renderPassword(c, http.StatusOK, passwordForm{Errors: map[string]string{}})
}

// passwordChange changes the signed-in user's own password, every role's:
// the current password first, the new one twice. The user's other console
// sessions end; this one stays, and a user whose password was generated
// may use the rest of the console from then on. A wrong current password counts as a
// failed login from the client's address, so that a stolen session cannot
// guess it fast.
func (a *Console) passwordChange(c echo.Context) error {
	f := readPasswordForm(c)
	if !f.validate() {
		f.Current, f.Password, f.Confirm = "", "", ""
		return a.renderPassword(c, http.StatusUnprocessableEntity, f)
	}
	me, _ := c.Get(userKey).(string)
	addr, now := httpapi.LimitKey(c.RealIP()), time.Now()
	if wait := a.addrThrottle.wait(addr, now); wait > 0 {
		f.Errors["current"] = fmt.Sprintf("Too many wrong passwords from your address: try again in %d minutes.", int(wait.Minutes())+1)
		return a.renderPassword(c, http.StatusTooManyRequests, passwordForm{Errors: f.Errors})
	}
	ok, err := a.checkPassword(c, me, f.Current)
	if err != nil {
		return err
	}
	if !ok {
		a.addrThrottle.fail(addr, now)
		time.Sleep(failureDelay)
		a.Logger.Warn("admin password change refused: wrong current password", "user", me, "addr", addr)
		f.Errors["current"] = "This is not your current password."
		return a.renderPassword(c, http.StatusUnprocessableEntity, passwordForm{Errors: f.Errors})
	}
	err = a.users().SetPassword(c.Request().Context(), me, f.Password, sessionIDHash(c),
		"password changed by the user in the console; its other console sessions ended")
	if err != nil {
		return err
	}
	if mustChangePassword(c) {
		setFlash(c, "ok", "Your password is set: the console is yours to use. Your other console sessions have ended; this one goes on.")
		return redirect(c, Prefix+"/")
	}
	setFlash(c, "ok", "Your password is changed. Your other console sessions have ended; this one goes on.")
	return redirect(c, passwordPath)
}

// renderPassword shows the Password page with the form as given (never
// its passwords).
func (a *Console) renderPassword(c echo.Context, status int, f passwordForm) error {
	m := a.meta(c, "Password", "password")
	v := passwordView{Form: f, EnvPassword: a.InitialPassword != "" && m.User == "admin", MustChange: mustChangePassword(c)}
	return a.render(c, status, passwordPage(m, v))
}
