package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// appView is an application's page: its effective settings with their
// sources, the settings form, and its keys.
type appView struct {
	App scopes.App
	// Rows are the effective settings with the source of each.
	Rows     []settingRow
	Settings settingsView
	// Confirm holds the message of a key or delete form sent without its
	// box ticked, by action: "rotate", "revoke", "delete".
	Confirm map[string]string
}

func (a *Console) appShow(c echo.Context) error {
	return a.renderApp(c, http.StatusOK, nil, nil)
}

// renderApp shows an app's page; f is the settings form as submitted (nil:
// read from the app) and confirm the messages of the key and delete forms.
func (a *Console) renderApp(c echo.Context, status int, f *settingsForm, confirm map[string]string) error {
	ctx := c.Request().Context()
	name := c.Param("name")
	current, err := a.Directory.Effective(ctx, name)
	if err != nil {
		return err
	}
	app, err := a.findApp(c, name)
	if err != nil {
		return err
	}
	server, err := a.Directory.ServerSettings(ctx)
	if err != nil {
		return err
	}
	groups, err := a.storageGroups(ctx)
	if err != nil {
		return err
	}
	form := settingsFormFrom(current, explicitOnApp)
	if f != nil {
		form = *f
	}
	if confirm == nil {
		confirm = map[string]string{}
	}
	v := appView{App: app, Rows: settingRows(current, true), Confirm: confirm,
		Settings: settingsView{Action: appPath(app.Name, "/settings"), Form: form, Current: current,
			Inherited: server, ForApp: true, Storages: groups}}
	return a.render(c, status, appPage(a.meta(c, app.Name, "apps"), v))
}

// findApp returns the app named in the path.
func (a *Console) findApp(c echo.Context, name string) (scopes.App, error) {
	apps, err := a.Directory.Apps(c.Request().Context())
	if err != nil {
		return scopes.App{}, err
	}
	for _, app := range apps {
		if app.Name == name {
			return app, nil
		}
	}
	return scopes.App{}, scopes.Errorf(scopes.ENotFound, "There is no application named %q.", name)
}
