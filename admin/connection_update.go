package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// connectionUpdate saves a connection's form. The password stays unless a
// new one is typed or "remove" is ticked. Removing the Storage flag of a
// connection in use is refused, and nothing is saved.
func (a *Console) connectionUpdate(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		old, err := a.connectionOf(c, kind)
		if err != nil {
			return err
		}
		if !storableType(kind, old.Type) {
			return scopes.Errorf(scopes.EInvalid, "The console cannot edit %s connections yet: use the command line (scopestore connection edit).", connTypeLabel(old.Type))
		}
		f := readConnectionForm(c, kind, old.Type)
		f.Name, f.Editing, f.HasSecret = old.Name, true, old.HasSecret
		conn := f.connection()
		// A password typed into the url or dsn replaces the stored one too:
		// the connection manager sees to it.
		keepSecret := f.Password == "" && !f.RemovePassword
		m := a.meta(c, connKindTitle(kind)+" "+old.Name, connSection(kind))
		again := func(status int) error {
			return a.render(c, status, connectionFormPage(m, f, statusOf(old), false))
		}
		if !a.checkConnection(&f, conn) {
			return again(http.StatusUnprocessableEntity)
		}
		err = a.Connections.Update(c.Request().Context(), conn, keepSecret)
		switch scopes.ErrorCode(err) {
		case "":
		case scopes.EInvalid:
			f.invalid(err)
			return again(http.StatusUnprocessableEntity)
		case scopes.EConflict:
			// In use: keep the flag as stored, say why and what to do.
			f.Storage = old.Storage
			m.Flash = Flash{Kind: "bad", Message: scopes.ErrorMessage(err) + " " + inUseAdvice + " Nothing was saved."}
			f.Errors["storage"] = "Storage stays ticked while the " + kind + " holds scopes."
			return again(http.StatusConflict)
		default:
			return err
		}
		a.afterConnectionSave(c, f, "is saved")
		return redirect(c, connPath(kind, f.Name, ""))
	}
}

// inUseAdvice says where to do what the connection manager's refusal of a
// change to a connection that holds scopes asks for.
const inUseAdvice = "The server defaults' storage is set on the Scope page, an application's on its own page."
