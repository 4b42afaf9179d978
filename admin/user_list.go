package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// usersPath is the Users page.
const usersPath = Prefix + "/users"

// userPath is the page of one user; suffix ("/role") is added.
func userPath(name, suffix string) string { return usersPath + "/" + url.PathEscape(name) + suffix }

// userListView is the Users page: every user of the console with its role
// and last login, and the form that adds one.
type userListView struct {
	Users []scopes.AdminUser
	// Me is the signed-in user, who cannot delete itself.
	Me   string
	Form userAddForm
	// EnvPassword tells that SCOPESTORE_ADMIN_PASSWORD is set: admin logs
	// in with it whatever its stored password.
	EnvPassword bool
	Now         time.Time
}

// admins counts the administrators.
func (v userListView) admins() int {
	n := 0
	for _, u := range v.Users {
		if u.Role == scopes.RoleAdministrator {
			n++
		}
	}
	return n
}

func (a *Console) userList(c echo.Context) error {
	return a.renderUsers(c, http.StatusOK, userAddForm{Role: scopes.RoleOperator, Errors: map[string]string{}})
}

// renderUsers shows the Users page with the add form as given.
func (a *Console) renderUsers(c echo.Context, status int, f userAddForm) error {
	users, err := a.Admins.AdminUsers(c.Request().Context())
	if err != nil {
		return err
	}
	m := a.meta(c, "Users", "users")
	v := userListView{Users: users, Me: m.User, Form: f, EnvPassword: a.InitialPassword != "", Now: time.Now()}
	return a.render(c, status, userListPage(m, v))
}

// countOf writes a count with its noun: "1 user", "3 users".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// lastLogin says when a user last logged in, as people say it.
func lastLogin(u scopes.AdminUser, now time.Time) string {
	if u.LastLogin.IsZero() {
		return "never"
	}
	return checkTime(u.LastLogin, now)
}
