package admin

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

func (a *Console) appDelete(c echo.Context) error {
	name := c.Param("name")
	if !confirmed(c) {
		return a.renderApp(c, http.StatusUnprocessableEntity, nil, map[string]string{"delete": confirmMessage})
	}
	ended, err := a.Directory.DeleteAppAndScopes(c.Request().Context(), a.Engine, name)
	if err != nil {
		return err
	}
	setFlash(c, "ok", fmt.Sprintf("Application %s is deleted with its keys and settings; %d live scopes ended.", name, ended))
	return redirect(c, appsPath)
}
