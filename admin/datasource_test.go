package admin_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	_ "github.com/go-sql-driver/mysql"

	"github.com/scopestore/scopestore/connections/conntest"
	"github.com/scopestore/scopestore/scopes"
)

// luceeSessionTable is cf_session_data as Lucee creates it on MySQL: no
// primary key, TEXT data.
const luceeSessionTable = `CREATE TABLE cf_session_data (
	expires VARCHAR(64) NOT NULL,
	cfid VARCHAR(64) NOT NULL,
	name VARCHAR(255) NOT NULL,
	data TEXT NOT NULL,
	UNIQUE INDEX ix_cf_session_data (cfid, name, expires),
	INDEX ix_cf_session_data_expires (expires))`

func TestSQLiteDatasource(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	file := filepath.Join(t.TempDir(), "sessions.db")

	p := tc.get("/admin/datasources/new?type=sqlite")
	mustStatus(t, p, http.StatusOK)
	if !strings.Contains(p.body, "Allow to use this datasource as client/session storage.") {
		t.Error("the Storage box lacks Lucee's wording")
	}
	p = tc.post("/admin/datasources", url.Values{"type": {"sqlite"}, "name": {"local"}, "file": {file},
		"storage": {"on"}, "verify": {"on"}})
	mustStatus(t, p, http.StatusSeeOther)
	p = tc.follow(p)
	if flash := p.testid("flash"); !strings.Contains(flash, "Verify passed every check") {
		t.Errorf("flash %q", flash)
	}
	// The page loads the tables panel with htmx, and links to it without.
	panel := p.doc.Find(`[data-testid="tables-panel"]`)
	if hx, _ := panel.Attr("hx-get"); hx != "/admin/datasources/local/tables" {
		t.Errorf("tables panel hx-get %q", hx)
	}
	if href, _ := panel.Find(`[data-testid="tables-link"]`).Attr("href"); href != "/admin/datasources/local/tables" {
		t.Errorf("tables link %q", href)
	}
	p = tc.get("/admin/datasources")
	if p.testid("storage-local") != "yes" || p.testid("type-local") != "SQLite" {
		t.Errorf("list: storage %q type %q", p.testid("storage-local"), p.testid("type-local"))
	}

	// Opening a SQLite datasource creates its tables: the panel shows them
	// in scopestore's layout, and Migrate has nothing to do.
	p = tc.hxGet("/admin/datasources/local/tables")
	mustStatus(t, p, http.StatusOK)
	if strings.Contains(p.body, "<html") {
		t.Error("htmx got a whole page, not the panel")
	}
	for _, table := range []string{"cf_session_data", "cf_client_data"} {
		if got := p.testid(table + "-exists"); got != "yes" {
			t.Errorf("%s exists: %q", table, got)
		}
		if got := p.testid(table + "-pk"); got != "cfid, name" {
			t.Errorf("%s primary key: %q", table, got)
		}
		if got := p.testid(table + "-expires"); got != "yes" {
			t.Errorf("%s expires index: %q", table, got)
		}
	}
	// The panel's Migrate… leads to the plan, a page of its own.
	plan, _ := p.doc.Find(`[data-testid="migrate"]`).Attr("href")
	if plan != "/admin/datasources/local/tables?plan=1" {
		t.Errorf("Migrate… leads to %q", plan)
	}
	p = tc.get(plan)
	mustStatus(t, p, http.StatusOK)
	if p.doc.Find(`[data-testid="no-steps"]`).Length() != 1 || p.doc.Find(`[data-testid="run-plan"]`).Length() != 0 {
		t.Errorf("the plan of up-to-date tables is not empty\n%s", p.body)
	}
	// A dry run posted by an older page redirects to the plan.
	if p = tc.post("/admin/datasources/local/migrate", url.Values{"dry_run": {"1"}}); p.status != http.StatusSeeOther || p.location != plan {
		t.Errorf("POST dry_run=1 → %d %q, want 303 to the plan", p.status, p.location)
	}
	// Running it with nothing to do says so on the tables' page.
	p = tc.post("/admin/datasources/local/migrate", url.Values{"dry_run": {"0"}})
	if p.status != http.StatusSeeOther || p.location != "/admin/datasources/local/tables" {
		t.Fatalf("POST dry_run=0 → %d %q, want 303 to the tables", p.status, p.location)
	}
	if flash := tc.follow(p).testid("flash"); !strings.Contains(flash, "Nothing to do") {
		t.Errorf("flash %q", flash)
	}
}

// The result of a migration is a page that reloads: POST …/migrate
// redirects to it, and it shows the steps as the audit log recorded them,
// on any instance, for as long as the log keeps them.
func TestMigrationResultReloads(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.get("/admin/datasources/new?type=sqlite")
	mustStatus(t, tc.post("/admin/datasources", url.Values{"type": {"sqlite"}, "name": {"local"},
		"file": {filepath.Join(t.TempDir(), "sessions.db")}, "storage": {"on"}}), http.StatusSeeOther)
	// What connections.Manager records when a run changed something.
	ctx := context.Background()
	if err := tc.config.AddAudit(ctx, scopes.AuditEntry{Actor: "admin:admin", Action: "connection.migrate", Target: "local",
		Detail: "cf_session_data: delete 1 duplicate (cfid, name) rows, keeping the newest expires; cf_session_data: add PRIMARY KEY (cfid, name)"}); err != nil {
		t.Fatal(err)
	}
	entries, err := tc.config.Audit(ctx, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := "/admin/datasources/local/tables?migration=" + strconv.FormatInt(entries[0].ID, 10)
	for range 2 { // and again, as a reload
		p := tc.get(path)
		mustStatus(t, p, http.StatusOK)
		var steps []string
		p.doc.Find(`[data-testid="step-done"]`).Each(func(_ int, s *goquery.Selection) {
			steps = append(steps, strings.Join(strings.Fields(s.Text()), " "))
		})
		want := []string{"done cf_session_data: delete 1 duplicate (cfid, name) rows, keeping the newest expires",
			"done cf_session_data: add PRIMARY KEY (cfid, name)"}
		if strings.Join(steps, "|") != strings.Join(want, "|") {
			t.Errorf("steps done %q, want %q", steps, want)
		}
		if done := strings.Join(strings.Fields(p.testid("migration-done")), " "); !strings.Contains(done, "Run by admin:admin") {
			t.Errorf("the result says %q", done)
		}
		if p.testid("cf_session_data-exists") != "yes" {
			t.Errorf("no state of the tables after the run\n%s", p.body)
		}
		if p.doc.Find(`[data-testid="nav-datasources"][aria-current="page"]`).Length() != 1 {
			t.Error("Datasources is not the current section")
		}
	}
	// Another entry, or another datasource's, is no result of this one.
	for _, bad := range []string{"?migration=1", "?migration=x", "?migration=-3"} {
		p := tc.get("/admin/datasources/local/tables" + bad)
		if p.status != http.StatusNotFound && p.status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 404 or 400", bad, p.status)
		}
		if p.doc.Find(`[data-testid="nav-datasources"]`).Length() != 1 || p.testid("error-message") == "" {
			t.Errorf("%s: the error is not shown inside the console\n%s", bad, p.body)
		}
	}
}

func TestMySQLLegacyTableMigration(t *testing.T) {
	dsn := conntest.MySQLDSN(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, stmt := range []string{luceeSessionTable,
		`INSERT INTO cf_session_data (expires, cfid, name, data) VALUES
			('1000', 'c1', 'shop', 'rO0ABXNyAA'), ('2000', 'c1', 'shop', 'rO0ABXNyAB'), ('9999999999999', 'c2', 'shop', 'rO0ABXNyAC')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	state := func() (pk int, dataType string, rows int) {
		t.Helper()
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.table_constraints
			WHERE table_schema = DATABASE() AND table_name = 'cf_session_data' AND constraint_type = 'PRIMARY KEY'`).Scan(&pk); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT LOWER(data_type) FROM information_schema.columns
			WHERE table_schema = DATABASE() AND table_name = 'cf_session_data' AND column_name = 'data'`).Scan(&dataType); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM cf_session_data").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		return pk, dataType, rows
	}

	tc := newTestConsole(t, false)
	tc.login()
	tc.get("/admin/datasources/new?type=mysql")
	p := tc.post("/admin/datasources", url.Values{"type": {"mysql"}, "name": {"legacy"}, "dsn": {dsn}, "strict": {"on"},
		"storage": {"on"}, "verify": {"on"}})
	mustStatus(t, p, http.StatusSeeOther)
	p = tc.follow(p)
	if flash := p.testid("flash"); !strings.Contains(flash, "Verify passed every check") {
		t.Fatalf("flash %q", flash)
	}
	if _, on := p.doc.Find(`input[name="strict"]`).Attr("checked"); !on {
		t.Error("Throw error upon data truncation is off")
	}

	p = tc.get("/admin/datasources/legacy/tables")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("cf_session_data-pk"); !strings.HasPrefix(got, "none") {
		t.Errorf("primary key %q", got)
	}
	if got := p.testid("cf_session_data-data"); got != "text" {
		t.Errorf("data column %q", got)
	}
	if got := p.testid("cf_session_data-rows"); got != "3" {
		t.Errorf("rows %q", got)
	}
	if got := p.testid("cf_session_data-undecodable"); !strings.HasPrefix(got, "3") {
		t.Errorf("rows not in scopestore's format %q", got)
	}
	if got := p.testid("cf_client_data-exists"); !strings.HasPrefix(got, "no") {
		t.Errorf("cf_client_data exists %q", got)
	}

	// The plan changes nothing.
	p = tc.get("/admin/datasources/legacy/tables?plan=1")
	mustStatus(t, p, http.StatusOK)
	actions := p.doc.Find(`[data-testid="step-action"]`).Text()
	for _, want := range []string{"delete 1 duplicate", "PRIMARY KEY", "LONGTEXT"} {
		if !strings.Contains(actions, want) {
			t.Errorf("the plan lacks %q: %s", want, actions)
		}
	}
	if !strings.Contains(p.doc.Find(`pre.sql`).Text(), "ALTER TABLE cf_session_data") {
		t.Errorf("the plan shows no SQL\n%s", p.body)
	}
	if p.doc.Find(`[data-testid="run-plan"]`).Length() != 1 {
		t.Fatal("no Run this plan button")
	}
	if pk, typ, rows := state(); pk != 0 || typ != "text" || rows != 3 {
		t.Fatalf("the dry run changed the table: pk %d, data %s, rows %d", pk, typ, rows)
	}

	// Running it migrates, and redirects to what it did and the new state.
	p = tc.post("/admin/datasources/legacy/migrate", url.Values{"dry_run": {"0"}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/admin/datasources/legacy/tables?migration=") {
		t.Fatalf("run → %d %q, want 303 to the result", p.status, p.location)
	}
	result := p.location
	p = tc.follow(p)
	mustStatus(t, p, http.StatusOK)
	if flash := p.testid("flash"); !strings.Contains(flash, "migration ran") {
		t.Errorf("flash %q\n%s", flash, p.body)
	}
	if done := p.testid("steps-done"); !strings.Contains(done, "delete 1 duplicate") || !strings.Contains(done, "PRIMARY KEY") {
		t.Errorf("steps done: %q", done)
	}
	// A reload shows the result again and runs nothing.
	if again := tc.get(result); again.status != http.StatusOK || again.testid("steps-done") != p.testid("steps-done") || again.testid("flash") != "" {
		t.Errorf("reload: %d, steps %q, flash %q", again.status, again.testid("steps-done"), again.testid("flash"))
	}
	if got := p.testid("cf_session_data-pk"); got != "cfid, name" {
		t.Errorf("primary key after %q", got)
	}
	if got := p.testid("cf_session_data-data"); got != "longtext" {
		t.Errorf("data column after %q", got)
	}
	if got := p.testid("cf_session_data-rows"); got != "2" {
		t.Errorf("rows after %q", got)
	}
	if pk, typ, rows := state(); pk != 1 || typ != "longtext" || rows != 2 {
		t.Errorf("after the run: pk %d, data %s, rows %d", pk, typ, rows)
	}
}

func TestTablesPanelOfUnreachableDatasource(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.get("/admin/datasources/new?type=mysql")
	// Port 1: nothing listens there, the connection is refused at once.
	p := tc.post("/admin/datasources", url.Values{"type": {"mysql"}, "name": {"gone"}, "host": {"127.0.0.1"}, "port": {"1"},
		"database": {"sessions"}, "username": {"root"}, "strict": {"on"}, "storage": {"on"}, "verify": {"on"}})
	mustStatus(t, p, http.StatusSeeOther)
	p = tc.follow(p)
	flash := p.testid("flash")
	if cls, _ := p.doc.Find(`[data-testid="flash"]`).Attr("class"); !strings.Contains(cls, "warn") ||
		!strings.Contains(flash, "is created") || !strings.Contains(flash, "Verify failed") || !strings.Contains(flash, "connect:") {
		t.Errorf("flash (%s) %q", cls, flash)
	}
	if _, err := tc.mgr.Connection(context.Background(), "gone"); err != nil {
		t.Errorf("a failing Verify undid the save: %v", err)
	}

	p = tc.hxGet("/admin/datasources/gone/tables")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("tables-error"); !strings.Contains(got, "cannot be reached") {
		t.Errorf("panel says %q", got)
	}
	p = tc.get("/admin/datasources/gone/tables")
	mustStatus(t, p, http.StatusServiceUnavailable)
	if got := p.testid("tables-error"); !strings.Contains(got, "503") {
		t.Errorf("page says %q", got)
	}
	p = tc.get("/admin/datasources/gone/tables?plan=1")
	mustStatus(t, p, http.StatusServiceUnavailable)
	if p.doc.Find(`[data-testid="run-plan"]`).Length() != 0 {
		t.Error("a plan that could not be made offers to run")
	}
	// A run that cannot start changes nothing and says why on the plan's page.
	p = tc.post("/admin/datasources/gone/migrate", url.Values{"dry_run": {"0"}})
	if p.status != http.StatusSeeOther || p.location != "/admin/datasources/gone/tables?plan=1" {
		t.Errorf("a failed run → %d %q, want 303 to the plan", p.status, p.location)
	} else if flash := tc.follow(p).testid("flash"); !strings.Contains(flash, "cannot be reached") {
		t.Errorf("flash %q", flash)
	}

	// Verify shows the failing check inline.
	tc.get("/admin/datasources")
	p = tc.hxPost("/admin/datasources/gone/verify", nil)
	if p.testid("verify-status") != "failed" {
		t.Errorf("status %q", p.testid("verify-status"))
	}
	if checks := checkResults(p); len(checks) == 0 || !strings.HasPrefix(checks[0], "fail connect") {
		t.Errorf("checks %q", checks)
	}
}

func TestPostgresDatasourceByURL(t *testing.T) {
	pgURL := conntest.PostgresURL(t)
	tc := newTestConsole(t, false)
	tc.login()
	tc.get("/admin/datasources/new?type=postgres")
	p := tc.post("/admin/datasources", url.Values{"type": {"postgres"}, "name": {"pg"}, "url": {pgURL},
		"storage": {"on"}, "verify": {"on"}})
	mustStatus(t, p, http.StatusSeeOther)
	p = tc.follow(p)
	if flash := p.testid("flash"); !strings.Contains(flash, "Verify passed every check") {
		t.Fatalf("flash %q", flash)
	}
	if _, open := p.doc.Find("details").Attr("open"); !open {
		t.Error("the URL given is hidden under a closed Advanced")
	}
	p = tc.follow(tc.post("/admin/datasources/pg/migrate", url.Values{"dry_run": {"0"}}))
	mustStatus(t, p, http.StatusOK)
	for _, table := range []string{"cf_session_data", "cf_client_data"} {
		if got := p.testid(table + "-pk"); got != "cfid, name" {
			t.Errorf("%s primary key: %q", table, got)
		}
		if got := p.testid(table + "-data"); got != "text" {
			t.Errorf("%s data: %q", table, got)
		}
	}
}
