package admin

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// checkUserNameField puts the problem of a user name, if any, under field.
func checkUserNameField(errs map[string]string, field, name string) {
	if CheckUserName(name) != nil {
		errs[field] = "Use up to " + strconv.Itoa(maxUsernameLength) + " characters without spaces: letters, digits and . _ - @."
	}
}

// checkNewPassword puts the problems of a new password typed twice under
// "password" and "confirm".
func checkNewPassword(errs map[string]string, password, confirm string) {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		errs["password"] = "Use at least " + strconv.Itoa(MinPasswordLength) + " characters."
	case len(password) > maxPasswordBytes:
		errs["password"] = "Use at most " + strconv.Itoa(maxPasswordBytes) + " bytes: bcrypt reads no more."
	}
	if confirm != password {
		errs["confirm"] = "The two passwords differ."
	}
}

// userAddForm is the Users page's form that adds a user. A password left
// empty, twice, is generated and shown once.
type userAddForm struct {
	Name     string
	Role     string
	Password string
	Confirm  string
	Errors   map[string]string
}

func readUserAddForm(c echo.Context) userAddForm {
	return userAddForm{Name: strings.TrimSpace(c.FormValue("name")), Role: c.FormValue("role"),
		Password: c.FormValue("password"), Confirm: c.FormValue("confirm"), Errors: map[string]string{}}
}

// generate tells whether the password is to be generated.
func (f userAddForm) generate() bool { return f.Password == "" && f.Confirm == "" }

func (f *userAddForm) validate() bool {
	checkUserNameField(f.Errors, "name", f.Name)
	if CheckRole(f.Role) != nil {
		f.Errors["role"] = "Choose administrator or operator."
	}
	if !f.generate() {
		checkNewPassword(f.Errors, f.Password, f.Confirm)
	}
	return len(f.Errors) == 0
}

// roleForm is the form that changes a user's role.
type roleForm struct {
	Role   string
	Errors map[string]string
}

func readRoleForm(c echo.Context) roleForm {
	return roleForm{Role: c.FormValue("role"), Errors: map[string]string{}}
}

func (f *roleForm) validate() bool {
	if CheckRole(f.Role) != nil {
		f.Errors["role"] = "Choose " + scopes.RoleAdministrator + " or " + scopes.RoleOperator + "."
	}
	return len(f.Errors) == 0
}

// setPasswordForm is the form with which an administrator sets another
// user's password; left empty, twice, one is generated and shown once.
type setPasswordForm struct {
	Password string
	Confirm  string
	Errors   map[string]string
}

func readSetPasswordForm(c echo.Context) setPasswordForm {
	return setPasswordForm{Password: c.FormValue("password"), Confirm: c.FormValue("confirm"), Errors: map[string]string{}}
}

// generate tells whether the password is to be generated.
func (f setPasswordForm) generate() bool { return f.Password == "" && f.Confirm == "" }

func (f *setPasswordForm) validate() bool {
	if !f.generate() {
		checkNewPassword(f.Errors, f.Password, f.Confirm)
	}
	return len(f.Errors) == 0
}

// passwordForm is the form with which users change their own password:
// the current one, then the new one twice.
type passwordForm struct {
	Current  string
	Password string
	Confirm  string
	Errors   map[string]string
}

func readPasswordForm(c echo.Context) passwordForm {
	return passwordForm{Current: c.FormValue("current"), Password: c.FormValue("password"), Confirm: c.FormValue("confirm"),
		Errors: map[string]string{}}
}

// validate checks the new password; whether the current one is right is
// the handler's to check.
func (f *passwordForm) validate() bool {
	if f.Current == "" {
		f.Errors["current"] = "Enter your current password."
	}
	checkNewPassword(f.Errors, f.Password, f.Confirm)
	if f.Errors["password"] == "" && f.Password == f.Current {
		f.Errors["password"] = "Choose a password other than the current one."
	}
	return len(f.Errors) == 0
}
