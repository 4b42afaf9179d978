package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// connectionEdit shows a connection's form, its Verify button and, for a
// storage datasource, the state of its scope tables. A connection of a type
// the console cannot store in is shown read-only.
func (a *Console) connectionEdit(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		conn, err := a.connectionOf(c, kind)
		if err != nil {
			return err
		}
		m := a.meta(c, connKindTitle(kind)+" "+conn.Name, connSection(kind))
		if !storableType(kind, conn.Type) {
			return a.render(c, http.StatusOK, connectionViewPage(m, conn))
		}
		tables := kind == kindDatasource && conn.Storage
		return a.render(c, http.StatusOK, connectionFormPage(m, connectionFormOf(conn), statusOf(conn), tables))
	}
}
