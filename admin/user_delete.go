package admin

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// userDelete deletes a user, confirmed by a ticked box, and ends its
// console sessions. Nobody deletes themselves, and the last administrator
// stays.
func (a *Console) userDelete(c echo.Context) error {
	name := c.Param("user")
	if me, _ := c.Get(userKey).(string); name == me {
		return a.renderUser(c, http.StatusConflict, func(v *userView) {
			v.Confirm["delete"] = "You cannot delete yourself: another administrator can."
		})
	}
	if !confirmed(c) {
		return a.renderUser(c, http.StatusUnprocessableEntity, func(v *userView) {
			v.Confirm["delete"] = "Tick the box to confirm that " + name + " is deleted and logged out."
		})
	}
	err := a.users().Delete(c.Request().Context(), name)
	if errors.Is(err, scopes.ErrLastAdministrator) {
		return a.renderUser(c, http.StatusConflict, func(v *userView) { v.Confirm["delete"] = sentence(scopes.ErrorMessage(err)) })
	} else if err != nil {
		return err
	}
	setFlash(c, "ok", "User "+name+" is deleted; their console sessions ended.")
	return redirect(c, usersPath)
}
