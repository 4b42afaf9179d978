package admin

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// appForm is the form that registers an application.
type appForm struct {
	Name   string
	Errors map[string]string
}

func readAppForm(c echo.Context) appForm {
	return appForm{Name: strings.TrimSpace(c.FormValue("name")), Errors: map[string]string{}}
}

// validate checks the name as the Directory will, so that the message sits
// beside the field.
func (f *appForm) validate() bool {
	if f.Name == "" {
		f.Errors["name"] = "Name is required: enter the application's name, as this.name in its Application.cfc says it."
	} else if err := scopes.ValidateAppName(f.Name); err != nil {
		f.Errors["name"] = "Name must be 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit."
	}
	return len(f.Errors) == 0
}

// confirmed tells whether a dangerous action's form has its "I understand"
// box ticked: the confirmation that works without JavaScript.
func confirmed(c echo.Context) bool { return c.FormValue("confirm") == "yes" }
