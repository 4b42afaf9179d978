package admin

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// appsPath is the list of applications.
const appsPath = Prefix + "/apps"

// appPath is the page of one application; suffix ("/rotate") is added.
func appPath(name, suffix string) string { return appsPath + "/" + name + suffix }

// appListView is the list of applications with the form that registers one.
type appListView struct {
	Apps []appRow
	Form appForm
}

// appRow is one application in the list.
type appRow struct {
	Name           string
	Created        time.Time
	Keys           int
	SessionStorage string
	ClientStorage  string
	// Sources sums up where its settings come from.
	Sources string
	// Settings are its effective settings, which the overview counts by.
	Settings scopes.Settings
}

func (a *Console) appList(c echo.Context) error {
	return a.renderAppList(c, http.StatusOK, appForm{Errors: map[string]string{}})
}

// renderAppList shows the list with the registration form as given.
func (a *Console) renderAppList(c echo.Context, status int, f appForm) error {
	rows, err := a.appRows(c.Request().Context())
	if err != nil {
		return err
	}
	return a.render(c, status, appListPage(a.meta(c, "Applications", "apps"), appListView{Apps: rows, Form: f}))
}

// appRows lists the apps with their effective storages, resolved over the
// server defaults read once.
func (a *Console) appRows(ctx context.Context) ([]appRow, error) {
	apps, err := a.Directory.Apps(ctx)
	if err != nil {
		return nil, err
	}
	server, err := a.Directory.ServerSettings(ctx)
	if err != nil {
		return nil, err
	}
	layer := serverLayer(server)
	rows := make([]appRow, 0, len(apps))
	for _, app := range apps {
		eff := scopes.Resolve(layer, app.Layer)
		rows = append(rows, appRow{Name: app.Name, Created: app.Created, Keys: app.Keys,
			SessionStorage: eff.Settings.Session.Storage, ClientStorage: eff.Settings.Client.Storage,
			Sources: sourcesSummary(eff), Settings: eff.Settings})
	}
	return rows, nil
}

// sourcesSummary says how many of an app's settings it declared itself or an
// administrator set for it: "all inherited", "2 declared by the app".
func sourcesSummary(eff scopes.Effective) string {
	var declared, set int
	for _, from := range eff.From {
		switch from {
		case scopes.FromApp:
			declared++
		case scopes.FromAdmin:
			set++
		}
	}
	var parts []string
	if declared > 0 {
		parts = append(parts, fmt.Sprintf("%d declared by the app", declared))
	}
	if set > 0 {
		parts = append(parts, fmt.Sprintf("%d set by an administrator", set))
	}
	if len(parts) == 0 {
		return "all inherited"
	}
	return strings.Join(parts, ", ")
}

// utcTime writes a time as the console shows every time: UTC, to the second.
func utcTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}
