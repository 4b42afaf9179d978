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
	server, err := a.Directory.ServerSettings(ctx)
	if err != nil {
		return err
	}
	f := readSettingsForm(c)
	if ok, err := a.judgeSettings(ctx, &f, server); err != nil {
		return err
	} else if !ok {
		return a.renderApp(c, http.StatusUnprocessableEntity, &f, nil)
	}
	changes := f.changes(current, explicitOnApp)
	// A change of storage shows what it moves first, and is saved once confirmed.
	if v, err := a.appStorageChange(ctx, name, server, changes); err != nil {
		return err
	} else if v != nil {
		if answered, err := a.confirmStorage(c, "Change storage of "+name, "apps", v); answered {
			return err
		}
	}
	if _, err := a.Directory.SetAppSettings(ctx, name, changes); err != nil {
		if !f.directoryError(err) {
			return err
		}
		return a.renderApp(c, http.StatusUnprocessableEntity, &f, nil)
	}
	setFlash(c, "ok", "The settings of "+name+" are saved.")
	return redirect(c, appPath(name, ""))
}
