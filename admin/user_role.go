package admin

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// userRole changes a user's role. The last administrator keeps its role;
// the user's open sessions take the new one with their next request.
func (a *Console) userRole(c echo.Context) error {
	name := c.Param("user")
	f := readRoleForm(c)
	if !f.validate() {
		return a.renderUser(c, http.StatusUnprocessableEntity, func(v *userView) { v.Role = f })
	}
	changed, err := a.users().SetRole(c.Request().Context(), name, f.Role)
	if errors.Is(err, scopes.ErrLastAdministrator) {
		f.Errors["role"] = sentence(scopes.ErrorMessage(err))
		return a.renderUser(c, http.StatusConflict, func(v *userView) { v.Role = f })
	} else if err != nil {
		return err
	}
	if changed {
		setFlash(c, "ok", name+" is "+article(f.Role)+" "+f.Role+" now, from their next click on.")
	} else {
		setFlash(c, "ok", name+" was "+article(f.Role)+" "+f.Role+" already.")
	}
	return redirect(c, userPath(name, ""))
}
