package admin

import (
	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// keyForm is the form that adds an API key to an app: an optional label.
type keyForm struct {
	Label  string
	Errors map[string]string
}

func readKeyForm(c echo.Context) keyForm {
	return keyForm{Label: c.FormValue("label"), Errors: map[string]string{}}
}

// validate checks the label as the Directory will, so that the message sits
// beside the field; the label is kept as typed.
func (f *keyForm) validate() bool {
	if _, err := scopes.ValidateKeyLabel(f.Label); err != nil {
		f.Errors["label"] = sentence(scopes.ErrorMessage(err)) + " Leave it empty to name the key \"key N\"."
	}
	return len(f.Errors) == 0
}
