package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// userPassword is an administrator setting another user's password, typed
// or generated and shown once (the user must change a generated one at
// their next login): every console session of that user ends.
// Users change their own on the Password page, which asks for the current
// one and keeps their session.
func (a *Console) userPassword(c echo.Context) error {
	name := c.Param("user")
	me, _ := c.Get(userKey).(string)
	if name == me {
		return redirect(c, passwordPath)
	}
	f := readSetPasswordForm(c)
	if !f.validate() {
		return a.renderUser(c, http.StatusUnprocessableEntity, func(v *userView) { v.Password = f })
	}
	why := "password set by " + me + " in the console; every console session of " + name + " ended"
	password, err := f.Password, error(nil)
	if f.generate() {
		password, err = a.users().SetGeneratedPassword(c.Request().Context(), name, why)
	} else {
		err = a.users().SetPassword(c.Request().Context(), name, password, "", why)
	}
	if err != nil {
		return err
	}
	if f.generate() {
		v := userPasswordView{Name: name, Password: password}
		return a.render(c, http.StatusOK, userPasswordPage(a.meta(c, "New password of "+name, "users"), v))
	}
	setFlash(c, "ok", "The password of "+name+" is set, and their console sessions ended: give them the new password.")
	return redirect(c, userPath(name, ""))
}
