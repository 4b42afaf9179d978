package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// migrateResult is what a migration planned or did, for its page.
type migrateResult struct {
	DryRun bool
	Steps  []scopes.MigrationStep
	// Err says why planning or running failed; "" when it did not.
	Err string
	// Tables is the tables' state after a run.
	Tables tablesPanelData
}

// datasourceMigrate migrates a datasource's scope tables. dry_run=1 (the
// default) shows the plan and changes nothing; dry_run=0 runs it and shows
// what was done and the tables' new state.
func (a *Console) datasourceMigrate(c echo.Context) error {
	conn, err := a.connectionOf(c, kindDatasource)
	if err != nil {
		return err
	}
	r := migrateResult{DryRun: c.FormValue("dry_run") != "0"}
	status := http.StatusOK
	steps, err := a.Connections.Migrate(c.Request().Context(), conn.Name, r.DryRun)
	r.Steps = steps
	if err != nil {
		action := "run the migration"
		if r.DryRun {
			action = "plan the migration"
		}
		r.Err = a.datasourceProblem(c, action, conn.Name, err)
		status = httpapi.StatusOf(err)
	}
	if !r.DryRun {
		r.Tables, _ = a.tablesPanelOf(c, conn)
	}
	title := "Migration plan for " + conn.Name
	if !r.DryRun {
		title = "Migration of " + conn.Name
	}
	m := a.meta(c, title, connSection(kindDatasource))
	if r.Err != "" {
		m.Flash = Flash{Kind: "bad", Message: r.Err}
	} else if !r.DryRun {
		m.Flash = Flash{Kind: "ok", Message: "The migration ran: the steps below are done."}
		if len(r.Steps) == 0 {
			m.Flash.Message = "Nothing to do: the tables were up to date already."
		}
	}
	return a.render(c, status, migratePage(m, conn, r))
}
