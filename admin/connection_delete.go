package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// connectionDelete asks for confirmation on a page of its own (no script
// needed), then deletes the connection. A connection that holds scopes is
// not deleted: its page says which apps use it.
func (a *Console) connectionDelete(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		conn, err := a.connectionOf(c, kind)
		if err != nil {
			return err
		}
		if c.FormValue("confirm") != "yes" {
			m := a.meta(c, "Delete "+conn.Name, connSection(kind))
			return a.render(c, http.StatusOK, connectionDeletePage(m, conn))
		}
		err = a.Connections.Delete(c.Request().Context(), conn.Name)
		switch scopes.ErrorCode(err) {
		case "":
		case scopes.EConflict:
			setFlash(c, "bad", scopes.ErrorMessage(err)+" "+inUseAdvice+" Nothing was deleted.")
			return redirect(c, connPath(kind, conn.Name, ""))
		default:
			return err
		}
		setFlash(c, "ok", connKindTitle(kind)+" "+conn.Name+" is deleted. The data on its server is left as it was.")
		return redirect(c, connListPath(kind))
	}
}
