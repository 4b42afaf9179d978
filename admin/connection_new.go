package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// connectionNew shows the choice of type, then the empty form of the type
// chosen (?type=redis).
func (a *Console) connectionNew(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		typ := c.QueryParam("type")
		if !storableType(kind, typ) {
			m := a.meta(c, "New "+kind, connSection(kind))
			return a.render(c, http.StatusOK, connectionTypePage(m, kind))
		}
		m := a.meta(c, "New "+connTypeLabel(typ)+" "+kind, connSection(kind))
		return a.render(c, http.StatusOK, connectionFormPage(m, newConnectionForm(kind, typ), connStatus{}, false))
	}
}
