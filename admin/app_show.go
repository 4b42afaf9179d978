package admin

import (
	"net/http"
	"time"

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
	// Keys are the app's API keys, revoked ones too, oldest first, and
	// KeyForm the form that adds one (app_keys.templ).
	Keys    []scopes.APIKey
	KeyForm keyForm
	// Now is when the page was made, from which "3 min ago" is told.
	Now time.Time
	// Locks are the app's named locks held now (lock_list.go).
	Locks lockList
	// Application is the app's application scope, without its data.
	Application sharedScope
}

func (a *Console) appShow(c echo.Context) error {
	return a.renderApp(c, http.StatusOK, nil, nil)
}

// renderApp shows an app's page; f is the settings form as submitted (nil:
// read from the app) and confirm the messages of the key and delete forms;
// each edit adjusts the view, as the add-key form does with what was typed.
func (a *Console) renderApp(c echo.Context, status int, f *settingsForm, confirm map[string]string, edits ...func(*appView)) error {
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
	keys, err := a.Directory.Keys(ctx, name)
	if err != nil {
		return err
	}
	v := appView{App: app, Rows: settingRows(current, true), Confirm: confirm,
		Settings: settingsView{Action: appPath(app.Name, "/settings"), Form: form, Current: current,
			Inherited: server, ForApp: true, Storages: groups},
		Keys: keys, KeyForm: keyForm{Errors: map[string]string{}}, Now: time.Now()}
	v.Locks = a.heldLocks(ctx, name)
	v.Application = a.readShared(ctx, current.Settings, scopes.Application, name)
	for _, edit := range edits {
		edit(&v)
	}
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
