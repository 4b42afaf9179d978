package admin

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// connectionCreate stores a new connection and, unless told not to,
// verifies it; bad input shows the form again with a message per field.
func (a *Console) connectionCreate(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		typ := strings.TrimSpace(c.FormValue("type"))
		if !storableType(kind, typ) {
			return scopes.Errorf(scopes.EInvalid, "scopestore cannot create a %s of type %q: choose one on the New %s page.", kind, typ, kind)
		}
		f := readConnectionForm(c, kind, typ)
		title := "New " + connTypeLabel(typ) + " " + kind
		if !f.validate() {
			return a.render(c, http.StatusUnprocessableEntity, connectionFormPage(a.meta(c, title, connSection(kind)), f, false))
		}
		err := a.Connections.Create(c.Request().Context(), f.connection())
		switch scopes.ErrorCode(err) {
		case "":
		case scopes.EInvalid:
			f.invalid(err)
			return a.render(c, http.StatusUnprocessableEntity, connectionFormPage(a.meta(c, title, connSection(kind)), f, false))
		case scopes.EConflict:
			f.Errors["name"] = scopes.ErrorMessage(err) + ": choose another name."
			return a.render(c, http.StatusConflict, connectionFormPage(a.meta(c, title, connSection(kind)), f, false))
		default:
			return err
		}
		a.afterConnectionSave(c, f, "is created")
		return redirect(c, connPath(kind, f.Name, ""))
	}
}
