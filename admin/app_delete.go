package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (a *Console) appDelete(c echo.Context) error {
	name := c.Param("name")
	if !confirmed(c) {
		return a.renderApp(c, http.StatusUnprocessableEntity, nil, map[string]string{"delete": confirmMessage})
	}
	if err := a.Directory.DeleteApp(c.Request().Context(), name); err != nil {
		return err
	}
	setFlash(c, "ok", "Application "+name+" is deleted with its keys and settings; its stored scopes are left to expire.")
	return redirect(c, appsPath)
}
