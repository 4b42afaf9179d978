package admin

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// minPasswordLength is the shortest admin password the setup accepts.
const minPasswordLength = 10

// loginForm is the login form as submitted.
type loginForm struct {
	Username string
	Password string
	Errors   map[string]string
}

func readLoginForm(c echo.Context) loginForm {
	return loginForm{Username: strings.TrimSpace(c.FormValue("username")), Password: c.FormValue("password"), Errors: map[string]string{}}
}

// setupForm is the first-run form that sets the admin password.
type setupForm struct {
	Username string
	Password string
	Confirm  string
	Errors   map[string]string
}

func readSetupForm(c echo.Context) setupForm {
	return setupForm{Username: strings.TrimSpace(c.FormValue("username")), Password: c.FormValue("password"),
		Confirm: c.FormValue("confirm"), Errors: map[string]string{}}
}

// validate checks the form and fills Errors, one message per field.
func (f *setupForm) validate() bool {
	if f.Username == "" {
		f.Username = "admin"
	}
	if len(f.Username) > 64 || strings.ContainsAny(f.Username, " \t\r\n") {
		f.Errors["username"] = "Use up to 64 characters without spaces."
	}
	if len(f.Password) < minPasswordLength {
		f.Errors["password"] = "Use at least 10 characters."
	}
	if f.Confirm != f.Password {
		f.Errors["confirm"] = "The two passwords differ."
	}
	return len(f.Errors) == 0
}
