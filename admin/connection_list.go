package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// connectionList shows a kind's connections: name, type, Storage flag and a
// Verify button per row, as status is only known once verified.
func (a *Console) connectionList(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		all, err := a.Connections.Connections(c.Request().Context())
		if err != nil {
			return err
		}
		var conns []scopes.Connection
		for _, conn := range all {
			if conn.Kind == kind {
				conns = append(conns, conn)
			}
		}
		m := a.meta(c, connKindPlural(kind), connSection(kind))
		return a.render(c, http.StatusOK, connectionListPage(m, kind, conns))
	}
}
