package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// mustChangeKey is the echo context key that tells that the signed-in
// user's password was generated (scopes.AdminUser.MustChangePassword).
const mustChangeKey = "admin_must_change_password"

// mustChangePassword tells whether the signed-in user must choose their own
// password before anything else.
func mustChangePassword(c echo.Context) bool {
	must, _ := c.Get(mustChangeKey).(bool)
	return must
}

// ownPasswordRoutes are the routes open to a user who must change their
// password: the Password page, its form, and logging out.
var ownPasswordRoutes = map[string]bool{
	http.MethodGet + " " + passwordPath:        true,
	http.MethodPost + " " + passwordPath:       true,
	http.MethodPost + " " + Prefix + "/logout": true,
}

// requireOwnPassword sends a user whose password was generated (by an
// administrator or 'scopestore admin user add') to the Password page from
// every other page, until they choose their own: a password that travelled
// by mail or chat is not to stay in use.
func (a *Console) requireOwnPassword(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !mustChangePassword(c) || ownPasswordRoutes[c.Request().Method+" "+c.Path()] {
			return next(c)
		}
		if c.Request().Header.Get("HX-Request") == "true" {
			c.Response().Header().Set("HX-Redirect", passwordPath)
			return c.NoContent(http.StatusForbidden)
		}
		return c.Redirect(http.StatusSeeOther, passwordPath)
	}
}
