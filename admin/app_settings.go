package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (a *Console) appSettings(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("name")
	current, err := a.Directory.Effective(ctx, name)
	if err != nil {
		return err
	}
	f := readSettingsForm(c)
	if !f.validate() {
		return a.renderApp(c, http.StatusUnprocessableEntity, &f, nil)
	}
	if _, err := a.Directory.SetAppSettings(ctx, name, f.changes(current, explicitOnApp)); err != nil {
		if !f.directoryError(err) {
			return err
		}
		return a.renderApp(c, http.StatusUnprocessableEntity, &f, nil)
	}
	setFlash(c, "ok", "Settings of "+name+" saved")
	return redirect(c, appPath(name, ""))
}
