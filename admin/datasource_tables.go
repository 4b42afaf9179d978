package admin

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// tablesPanelData is the state of a datasource's scope tables, or why it
// could not be read.
type tablesPanelData struct {
	Name   string
	Type   string
	CSRF   string
	Tables []scopes.TableStatus
	// Err says why the state could not be read; "" when it was.
	Err string
}

// tablesPanelOf reads a datasource's scope tables for the panel. A
// datasource that cannot be reached is said so in the panel, with the
// status to answer a full page with.
func (a *Console) tablesPanelOf(c echo.Context, conn scopes.Connection) (tablesPanelData, int) {
	p := tablesPanelData{Name: conn.Name, Type: conn.Type, CSRF: fragmentCSRF(c)}
	tables, err := a.Connections.Tables(c.Request().Context(), conn.Name)
	if err != nil {
		p.Err = a.datasourceProblem(c, "read the scope tables", conn.Name, err)
		return p, httpapi.StatusOf(err)
	}
	p.Tables = tables
	return p, http.StatusOK
}

// datasourceProblem turns the failure of an action on a datasource into a sentence
// for the page, logging what is not the user's to fix.
func (a *Console) datasourceProblem(c echo.Context, action, name string, err error) string {
	code := scopes.ErrorCode(err)
	if code == scopes.EInternal || code == scopes.EUnavailable {
		a.Logger.Warn("admin: datasource action failed", "action", action, "connection", name, "err", err)
	}
	if code == scopes.EUnavailable {
		return "Datasource " + name + " cannot be reached (503 Service Unavailable): " + scopes.ErrorMessage(err) +
			" Use Verify to see which check fails."
	}
	return "Could not " + action + ": " + scopes.ErrorMessage(err)
}

// datasourceTables shows the state of cf_session_data and cf_client_data:
// the panel alone for htmx (always 200, so that it is swapped in), or a
// page. The page has two more views, each at an address of its own so that
// it reloads: ?plan=1, what Migrate would do, and ?migration=ID, what a run
// did, where POST …/migrate redirects.
func (a *Console) datasourceTables(c echo.Context) error {
	conn, err := a.connectionOf(c, kindDatasource)
	if err != nil {
		return err
	}
	switch {
	case c.QueryParam("migration") != "":
		return a.migrationDone(c, conn, c.QueryParam("migration"))
	case c.QueryParam("plan") != "":
		return a.migrationPlan(c, conn)
	}
	p, status := a.tablesPanelOf(c, conn)
	if fromHTMX(c) {
		return a.render(c, http.StatusOK, tablesPanel(p))
	}
	m := a.meta(c, "Storage tables of "+conn.Name, connSection(kindDatasource))
	return a.render(c, status, tablesPage(m, conn, p))
}

// dataTypeOK tells whether a data column's type holds any scope: LONGTEXT
// on MySQL, TEXT elsewhere.
func dataTypeOK(typ, dataType string) bool {
	dataType = strings.ToLower(dataType)
	if typ == "mysql" {
		return dataType == "longtext"
	}
	return dataType == "text"
}
