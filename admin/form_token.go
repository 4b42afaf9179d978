package admin

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// tokenForm is the form that creates an admin API token.
type tokenForm struct {
	Name   string
	Errors map[string]string
}

func readTokenForm(c echo.Context) tokenForm {
	return tokenForm{Name: strings.TrimSpace(c.FormValue("name")), Errors: map[string]string{}}
}

func (f *tokenForm) validate() bool {
	if _, err := scopes.ValidateTokenName(f.Name); err != nil {
		f.Errors["name"] = sentence(scopes.ErrorMessage(err))
	}
	return len(f.Errors) == 0
}
