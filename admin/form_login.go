package admin

import (
	"strings"

	"github.com/labstack/echo/v4"
)

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
	// TokenRequired shows the setup token's field: the console listens
	// beyond loopback (Options.SetupToken).
	TokenRequired bool
	Token         string
	Username      string
	Password      string
	Confirm       string
	Errors        map[string]string
}

func readSetupForm(c echo.Context) setupForm {
	return setupForm{Token: strings.TrimSpace(c.FormValue("token")), Username: strings.TrimSpace(c.FormValue("username")),
		Password: c.FormValue("password"), Confirm: c.FormValue("confirm"), Errors: map[string]string{}}
}

// validate checks the form and fills Errors, one message per field; whether
// the setup token is the right one is the handler's to check.
func (f *setupForm) validate() bool {
	if f.TokenRequired && f.Token == "" {
		f.Errors["token"] = "Enter the setup token that scopestore wrote to its log when it started."
	}
	if f.Username == "" {
		f.Username = "admin"
	}
	checkUserNameField(f.Errors, "username", f.Username)
	checkNewPassword(f.Errors, f.Password, f.Confirm)
	return len(f.Errors) == 0
}
