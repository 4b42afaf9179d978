package admin

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// connectionCreate stores a new connection and, unless told not to,
// verifies it; bad input shows the form again with every field's message
// beside it and the values typed.
func (a *Console) connectionCreate(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		typ := strings.TrimSpace(c.FormValue("type"))
		if !storableType(kind, typ) {
			return scopes.Errorf(scopes.EInvalid, "This version cannot create a %s of type %q: choose a type on the New %s page.", kind, typ, kind)
		}
		f := readConnectionForm(c, kind, typ)
		title := "New " + connTypeLabel(typ) + " " + kind
		again := func(status int) error {
			return a.render(c, status, connectionFormPage(a.meta(c, title, connSection(kind)), f, connStatus{}, false))
		}
		conn := f.connection()
		if !a.checkConnection(&f, conn) {
			return again(http.StatusUnprocessableEntity)
		}
		err := a.Connections.Create(c.Request().Context(), conn)
		switch scopes.ErrorCode(err) {
		case "":
		case scopes.EInvalid:
			f.invalid(err)
			return again(http.StatusUnprocessableEntity)
		case scopes.EConflict:
			// Caches and datasources share their names.
			f.Errors["name"] = "A cache or datasource named " + f.Name + " exists already (names ignore case): choose another name."
			return again(http.StatusConflict)
		default:
			return err
		}
		a.afterConnectionSave(c, f, "is created")
		return redirect(c, connPath(kind, f.Name, ""))
	}
}
