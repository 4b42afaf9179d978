package admin

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// scopePath is the Scope page: the server defaults.
const scopePath = Prefix + "/scope"

// scopeView is the Scope page.
type scopeView struct {
	Settings settingsView
	// Server is the server scope, without its data, and Writers the apps
	// that may write it.
	Server  sharedScope
	Writers []string
	Now     time.Time
}

func (a *Console) scopeForm(c echo.Context) error {
	current, err := a.Directory.ServerSettings(c.Request().Context())
	if err != nil {
		return err
	}
	f := settingsFormFrom(current, explicitOnServer)
	f.ServerDefaults = true
	return a.renderScope(c, http.StatusOK, current, f)
}

func (a *Console) scopeSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	current, err := a.Directory.ServerSettings(ctx)
	if err != nil {
		return err
	}
	f := readSettingsForm(c)
	f.ServerDefaults = true
	if ok, err := a.judgeSettings(ctx, &f, scopes.Resolve(nil, nil)); err != nil {
		return err
	} else if !ok {
		return a.renderScope(c, http.StatusUnprocessableEntity, current, f)
	}
	changes := f.changes(current, explicitOnServer)
	// A change of storage shows what it moves first, and is saved once confirmed.
	if v, err := a.serverStorageChange(ctx, current, changes); err != nil {
		return err
	} else if v != nil {
		if answered, err := a.confirmStorage(c, "Change storage", "scope", v); answered {
			return err
		}
	}
	if _, err := a.Directory.SetServerSettings(ctx, changes); err != nil {
		if !f.directoryError(err) {
			return err
		}
		return a.renderScope(c, http.StatusUnprocessableEntity, current, f)
	}
	setFlash(c, "ok", "The server defaults are saved.")
	return redirect(c, scopePath)
}

// renderScope shows the Scope page with a form read from the server
// defaults or as submitted.
func (a *Console) renderScope(c echo.Context, status int, current scopes.Effective, f settingsForm) error {
	ctx := c.Request().Context()
	groups, err := a.storageGroups(ctx)
	if err != nil {
		return err
	}
	acc, err := a.Directory.ServerScopeAccess(ctx)
	if err != nil {
		return err
	}
	v := scopeView{Settings: settingsView{Action: scopePath, Form: f, Current: current,
		Inherited: scopes.Resolve(nil, nil), Storages: groups},
		Server: a.readShared(ctx, current.Settings, scopes.Server, ""), Writers: acc.Writers, Now: time.Now()}
	return a.render(c, status, scopePage(a.meta(c, "Scope", "scope"), v))
}
