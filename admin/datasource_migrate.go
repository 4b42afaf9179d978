package admin

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// auditMigrate is the action under which connections.Manager records a
// migration that changed something, with the steps it took as its detail:
// "cf_session_data: add PRIMARY KEY (cfid, name); …".
const auditMigrate = "connection.migrate"

// migrateResult is what a migration plans, for the plan page, or what it
// did, as the audit log recorded it, for the result page.
type migrateResult struct {
	DryRun bool
	Steps  []scopes.MigrationStep
	// Err says why planning failed; "" when it did not.
	Err string
	// Done is the audit log's entry of the run the result page shows.
	Done scopes.AuditEntry
	// Tables is the tables' state as the result page loads.
	Tables tablesPanelData
}

// doneSteps splits the audit entry of a run into its steps, each with its
// table, as the manager wrote them.
func (r migrateResult) doneSteps() []scopes.MigrationStep {
	var out []scopes.MigrationStep
	for part := range strings.SplitSeq(r.Done.Detail, "; ") {
		table, action, ok := strings.Cut(part, ": ")
		if !ok {
			table, action = "", part
		}
		out = append(out, scopes.MigrationStep{Table: table, Action: action})
	}
	return out
}

// datasourceMigrate runs the migration of a datasource's scope tables
// (dry_run=0) and redirects to its result, a page that reloads: the steps
// it took, as the audit log recorded them, and the tables' new state. A
// dry run changes nothing: it redirects to the plan.
func (a *Console) datasourceMigrate(c echo.Context) error {
	conn, err := a.connectionOf(c, kindDatasource)
	if err != nil {
		return err
	}
	if c.FormValue("dry_run") != "0" {
		return redirect(c, migratePlanPath(conn.Name))
	}
	ctx := c.Request().Context()
	started := time.Now()
	steps, err := a.Connections.Migrate(ctx, conn.Name, false)
	if err != nil && len(steps) == 0 {
		setFlash(c, "bad", a.datasourceProblem(c, "run the migration", conn.Name, err)+" Nothing was changed.")
		return redirect(c, migratePlanPath(conn.Name))
	}
	if len(steps) == 0 {
		setFlash(c, "ok", "Nothing to do: the tables were up to date already.")
		return redirect(c, tablesPath(conn.Name))
	}
	kind, message := "ok", "The migration ran: the steps below are done."
	if err != nil {
		kind = "bad"
		message = a.datasourceProblem(c, "finish the migration", conn.Name, err) +
			" The steps below were done before it stopped; Migrate plans the rest."
	}
	setFlash(c, kind, message)
	id, found := a.migrationEntry(ctx, conn.Name, started)
	if !found {
		// No audit entry to show the steps from: the tables' state says the rest.
		return redirect(c, tablesPath(conn.Name))
	}
	return redirect(c, migrationPath(conn.Name, id))
}

// migrationEntry finds the audit log's entry of the migration of name that
// this request ran, begun at started: the newest of the entries recorded
// since then by this request's actor.
func (a *Console) migrationEntry(ctx context.Context, name string, started time.Time) (int64, bool) {
	entries, err := a.Admins.Audit(ctx, 0, 50)
	if err != nil {
		a.Logger.Warn("admin: read the audit entry of a migration", "connection", name, "err", err)
		return 0, false
	}
	actor := scopes.ActorFrom(ctx)
	for _, e := range entries {
		// The store may keep whole seconds only.
		if e.At.Before(started.Truncate(time.Second)) {
			break
		}
		if e.Action == auditMigrate && e.Target == name && e.Actor == actor {
			return e.ID, true
		}
	}
	return 0, false
}

// migrationPlan shows what Migrate would do to a datasource's tables, each
// step with its SQL, and the button that runs it; it changes nothing.
func (a *Console) migrationPlan(c echo.Context, conn scopes.Connection) error {
	r := migrateResult{DryRun: true}
	status := http.StatusOK
	m := a.meta(c, "Migration plan for "+conn.Name, connSection(kindDatasource))
	steps, err := a.Connections.Migrate(c.Request().Context(), conn.Name, true)
	r.Steps = steps
	if err != nil {
		r.Err = a.datasourceProblem(c, "plan the migration", conn.Name, err)
		status = httpapi.StatusOf(err)
		m.Flash = Flash{Kind: "bad", Message: r.Err}
	}
	return a.render(c, status, migratePage(m, conn, r))
}

// migrationDone shows a migration that ran: its steps as the audit log
// recorded them, who ran it and when, and the tables' state now. It reads
// the audit log, so it reloads the same on any instance, after a restart.
func (a *Console) migrationDone(c echo.Context, conn scopes.Connection, idText string) error {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return scopes.Errorf(scopes.EInvalid, "migration=%q is not the number of an audit entry.", clipMessage(idText, 40))
	}
	entries, err := a.Admins.Audit(c.Request().Context(), id+1, 1)
	if err != nil {
		return err
	}
	if len(entries) == 0 || entries[0].ID != id || entries[0].Action != auditMigrate || entries[0].Target != conn.Name {
		return scopes.Errorf(scopes.ENotFound, "The audit log has no migration of %s numbered %d.", conn.Name, id)
	}
	r := migrateResult{Done: entries[0]}
	r.Tables, _ = a.tablesPanelOf(c, conn)
	m := a.meta(c, "Migration of "+conn.Name, connSection(kindDatasource))
	return a.render(c, http.StatusOK, migratePage(m, conn, r))
}
