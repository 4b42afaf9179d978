package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// userPasswordView is the page that shows a generated password, once.
type userPasswordView struct {
	Name     string
	Role     string
	Password string
	// Added tells a new user from a password set for an existing one.
	Added bool
}

// userAdd adds a user with the password typed, or a generated one that the
// next page shows once and that the user must change at their first login.
func (a *Console) userAdd(c echo.Context) error {
	f := readUserAddForm(c)
	if !f.validate() {
		return a.renderUsers(c, http.StatusUnprocessableEntity, f)
	}
	password, err := f.Password, error(nil)
	if f.generate() {
		password, err = a.users().AddGenerated(c.Request().Context(), f.Name, f.Role)
	} else {
		err = a.users().Add(c.Request().Context(), f.Name, f.Role, password)
	}
	if scopes.ErrorCode(err) == scopes.EConflict {
		f.Errors["name"] = "There is a user " + f.Name + " already: choose another name."
		return a.renderUsers(c, http.StatusConflict, f)
	} else if err != nil {
		return err
	}
	if f.generate() {
		v := userPasswordView{Name: f.Name, Role: f.Role, Password: password, Added: true}
		return a.render(c, http.StatusOK, userPasswordPage(a.meta(c, "User "+f.Name+" added", "users"), v))
	}
	setFlash(c, "ok", "User "+f.Name+" is added as "+article(f.Role)+" "+f.Role+": give them the password you chose; they can change it on their Password page.")
	return redirect(c, usersPath)
}

// users is the service that changes users, over the console's store.
func (a *Console) users() Users { return Users{Store: a.Admins} }

// article is the indefinite article before a role: "an administrator", "an operator".
func article(role string) string {
	if role == "" {
		return "a"
	}
	switch role[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an"
	}
	return "a"
}
