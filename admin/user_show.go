package admin

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// userView is one user's page: its role, created and last login, and the
// forms that change its role, set its password and delete it.
type userView struct {
	User scopes.AdminUser
	// Me is the signed-in user: its own password is changed on the Password
	// page, and it cannot delete itself.
	Me string
	// Admins is the number of administrators: the last one keeps its role.
	Admins   int
	Role     roleForm
	Password setPasswordForm
	// Confirm holds the message beside the deletion's box left unticked.
	Confirm map[string]string
	// EnvPassword tells that SCOPESTORE_ADMIN_PASSWORD is set.
	EnvPassword bool
	Now         time.Time
}

// self tells whether the page is the signed-in user's own.
func (v userView) self() bool { return v.User.Name == v.Me }

// lastAdministrator tells whether the user is the last administrator.
func (v userView) lastAdministrator() bool {
	return v.User.Role == scopes.RoleAdministrator && v.Admins <= 1
}

func (a *Console) userShow(c echo.Context) error {
	return a.renderUser(c, http.StatusOK, func(*userView) {})
}

// renderUser shows the page of the user named in the path, edit adjusting
// the view (a refused form's values and messages).
func (a *Console) renderUser(c echo.Context, status int, edit func(v *userView)) error {
	ctx := c.Request().Context()
	users, err := a.Admins.AdminUsers(ctx)
	if err != nil {
		return err
	}
	name := c.Param("user")
	m := a.meta(c, "User "+name, "users")
	v := userView{Me: m.User, EnvPassword: a.InitialPassword != "", Now: time.Now(),
		Password: setPasswordForm{Errors: map[string]string{}}, Confirm: map[string]string{}}
	found := false
	for _, u := range users {
		if u.Role == scopes.RoleAdministrator {
			v.Admins++
		}
		if u.Name == name {
			v.User, found = u, true
		}
	}
	if !found {
		return scopes.Errorf(scopes.ENotFound, "There is no user %s.", name)
	}
	v.Role = roleForm{Role: v.User.Role, Errors: map[string]string{}}
	edit(&v)
	return a.render(c, status, userPage(m, v))
}
