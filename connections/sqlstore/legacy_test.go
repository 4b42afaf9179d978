package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/sqlstore"
	"github.com/scopestore/scopestore/scopes"
)

// luceeData is a value as Lucee stores it: Base64 Java serialization (of an
// empty HashMap), which scopestore cannot decode.
const luceeData = "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcAUH2sHDFmDRAwACRgAKbG9hZEZhY3RvckkACXRocmVzaG9sZHhwP0AAAAAAAAx3CAAAABAAAAAAeA=="

// luceeMySQLTable is the DDL with which Lucee creates its tables on MySQL:
// no primary key, data TEXT, a unique index that includes expires.
const luceeMySQLTable = `CREATE TABLE %[1]s (
	expires VARCHAR(64) NOT NULL, cfid VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL, data TEXT NOT NULL,
	UNIQUE INDEX ix_%[1]s (cfid, name, expires), INDEX ix_%[1]s_expires (expires))`

// legacyRow is a row written as Lucee or scopestore would have written it.
type legacyRow struct {
	cfid, name string
	expires    time.Time
	data       string
}

// envelope returns the data of a scope as scopestore writes it.
func envelope(key scopes.Key, expires time.Time, data string) string {
	return string(scopes.EncodeRecord(scopes.Record{Key: key, CFToken: "0", Expires: expires, Version: 1, Data: []byte(data)}))
}

func insertRows(t *testing.T, db *sql.DB, driver, table string, rows []legacyRow) {
	t.Helper()
	for _, r := range rows {
		_, err := db.Exec(rebind(driver, `INSERT INTO `+table+` (expires, cfid, name, data) VALUES (?, ?, ?, ?)`),
			strconv.FormatInt(r.expires.UnixMilli(), 10), r.cfid, r.name, r.data)
		if err != nil {
			t.Fatalf("insert %s/%s into %s: %v", r.cfid, r.name, table, err)
		}
	}
}

func countRows(t *testing.T, db *sql.DB, driver, table, where string, args ...any) int {
	t.Helper()
	var n int
	q := `SELECT COUNT(*) FROM ` + table
	if where != "" {
		q += ` WHERE ` + where
	}
	if err := db.QueryRow(rebind(driver, q), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// actions lists the steps as "table: action".
func actions(steps []sqlstore.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Table + ": " + s.Action
	}
	return out
}

// sharedTables are the tables of the shared scopes, which Lucee has none
// of: a migration of Lucee's tables creates them.
var sharedTables = []string{"cf_application_data", "cf_server_data"}

// createShared returns the steps by which Migrate creates sharedTables on
// the dialect name: MySQL's CREATE TABLE has the indexes in it.
func createShared(name string) []string {
	var out []string
	for _, table := range sharedTables {
		out = append(out, table+": create the table")
		if name != "mysql" {
			out = append(out, table+": add an index on (expires)", table+": add an index on (name, cfid)")
		}
	}
	return out
}

func checkActions(t *testing.T, what string, steps []sqlstore.Step, want []string) {
	t.Helper()
	got := actions(steps)
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// legacyFixture fills Lucee-made tables with what a Lucee installation
// holds, and remembers what the migration must keep.
type legacyFixture struct {
	now time.Time
	// newest is the scope whose newest duplicate must survive, with n 3.
	newest scopes.Key
	// luceeDup is a Lucee row with an older duplicate; its newest expires.
	luceeDup    scopes.Key
	luceeNewest time.Time
	// tie has three rows, two of them tied on the newest expires.
	tie scopes.Key
	// upper and lower are two cfids that differ only in case.
	upper, lower scopes.Key
	// big holds 60 KiB of data, which Lucee's TEXT column still holds.
	big     scopes.Key
	bigData string
	// rows counts the rows per table; dups the duplicates; lucee the
	// Lucee rows that stay.
	rows, dups, lucee map[string]int
}

// fillLegacy inserts the fixture's rows into cf_session_data and
// cf_client_data, which must exist without a key.
func fillLegacy(t *testing.T, db *sql.DB, driver string) *legacyFixture {
	t.Helper()
	now := time.Now().Truncate(time.Millisecond)
	hour := now.Add(time.Hour)
	f := &legacyFixture{now: now, rows: map[string]int{}, dups: map[string]int{}, lucee: map[string]int{}}
	f.newest = scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	f.luceeDup = scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	f.luceeNewest = hour.Add(time.Minute)
	f.big = scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	f.bigData = `{"blob":"` + strings.Repeat("x", 60*1024) + `"}`

	session := []legacyRow{
		// Three rows of one scope: the newest (n 3) must survive.
		{f.newest.CFID, "shop", hour.Add(-2 * time.Minute), envelope(f.newest, hour.Add(-2*time.Minute), `{"n":1}`)},
		{f.newest.CFID, "shop", hour, envelope(f.newest, hour, `{"n":3}`)},
		{f.newest.CFID, "shop", hour.Add(-time.Minute), envelope(f.newest, hour.Add(-time.Minute), `{"n":2}`)},
		// The same cfid in another app is another scope.
		{f.newest.CFID, "blog", hour, envelope(scopes.Key{App: "blog", Kind: scopes.Session, CFID: f.newest.CFID}, hour, `{"blog":true}`)},
		// A Lucee scope with an older duplicate.
		{f.luceeDup.CFID, "shop", hour, luceeData},
		{f.luceeDup.CFID, "shop", f.luceeNewest, luceeData},
		// Lucee scopes, one of them expired.
		{scopes.NewCFID(), "shop", hour, luceeData},
		{scopes.NewCFID(), "legacy app", hour, luceeData},
		{scopes.NewCFID(), "shop", now.Add(-time.Hour), luceeData},
		// 60 KiB of data: the most TEXT holds is 64 KiB.
		{f.big.CFID, "shop", hour, envelope(f.big, hour, f.bigData)},
	}
	for range 5 {
		key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
		session = append(session, legacyRow{key.CFID, "shop", hour, envelope(key, hour, `{"plain":true}`)})
	}
	insertRows(t, db, driver, "cf_session_data", session)
	f.rows["cf_session_data"] = len(session)
	f.dups["cf_session_data"] = 3
	f.lucee["cf_session_data"] = 4 // luceeDup once, and three others

	f.tie = scopes.Key{App: "shop", Kind: scopes.Client, CFID: scopes.NewCFID()}
	f.lower = scopes.Key{App: "shop", Kind: scopes.Client, CFID: scopes.NewCFID()}
	f.upper = scopes.Key{App: "shop", Kind: scopes.Client, CFID: strings.ToUpper(f.lower.CFID)}
	client := []legacyRow{
		// Two rows tied on the newest expires, and an older one: exactly
		// one of the tied rows must stay.
		{f.tie.CFID, "shop", hour, envelope(f.tie, hour, `{"tied":1}`)},
		{f.tie.CFID, "shop", hour, envelope(f.tie, hour, `{"tied":2}`)},
		{f.tie.CFID, "shop", now, envelope(f.tie, now, `{"old":true}`)},
		// cfids that differ in case are different scopes, not duplicates.
		{f.lower.CFID, "shop", hour, envelope(f.lower, hour, `{"case":"lower"}`)},
		{f.upper.CFID, "shop", hour, envelope(f.upper, hour, `{"case":"upper"}`)},
		{scopes.NewCFID(), "shop", hour, luceeData},
	}
	insertRows(t, db, driver, "cf_client_data", client)
	f.rows["cf_client_data"] = len(client)
	f.dups["cf_client_data"] = 2
	f.lucee["cf_client_data"] = 1
	return f
}

// checkMigrated checks the rows after the migration: the duplicates gone,
// the newest of each kept, nothing else lost, and the store reads them.
func (f *legacyFixture) checkMigrated(t *testing.T, s *sqlstore.Store, db *sql.DB, driver string) {
	t.Helper()
	ctx := context.Background()
	for table, n := range f.rows {
		if got := countRows(t, db, driver, table, ""); got != n-f.dups[table] {
			t.Errorf("%s has %d rows after the migration, want %d - %d duplicates", table, got, n, f.dups[table])
		}
	}
	got, found, err := s.Load(ctx, f.newest, f.now)
	if err != nil || !found || string(got.Data) != `{"n":3}` {
		t.Errorf("the scope with duplicates loads as %s, %v, %v; want the newest, {\"n\":3}", got.Data, found, err)
	}
	var expires string
	if err := db.QueryRow(rebind(driver, `SELECT expires FROM cf_session_data WHERE cfid = ? AND name = 'shop'`), f.luceeDup.CFID).Scan(&expires); err != nil {
		t.Errorf("the Lucee scope with a duplicate: %v", err)
	} else if expires != strconv.FormatInt(f.luceeNewest.UnixMilli(), 10) {
		t.Errorf("the Lucee scope kept expires %s, want the newest %d", expires, f.luceeNewest.UnixMilli())
	}
	if _, _, err := s.Load(ctx, f.luceeDup, f.now); scopes.ErrorCode(err) != scopes.ECorrupt {
		t.Errorf("Load of a Lucee row: %v; want the %s error", err, scopes.ECorrupt)
	}
	if n := countRows(t, db, driver, "cf_client_data", "cfid = ?", f.tie.CFID); n != 1 {
		t.Errorf("%d rows of the tied scope stay, want 1", n)
	}
	got, found, err = s.Load(ctx, f.tie, f.now)
	if err != nil || !found || (string(got.Data) != `{"tied":1}` && string(got.Data) != `{"tied":2}`) {
		t.Errorf("the tied scope loads as %s, %v, %v; want one of the newest rows", got.Data, found, err)
	}
	for _, key := range []scopes.Key{f.lower, f.upper} {
		if _, found, err := s.Load(ctx, key, f.now); err != nil || !found {
			t.Errorf("cfid %s: found %v, %v; cfids that differ in case are different scopes", key.CFID, found, err)
		}
	}
	got, found, err = s.Load(ctx, f.big, f.now)
	if err != nil || !found || string(got.Data) != f.bigData {
		t.Errorf("the 60 KiB scope loads as %d bytes, %v, %v", len(got.Data), found, err)
	}

	// Past TEXT's 64 KiB now.
	big := scopes.Record{Key: scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()},
		Expires: f.now.Add(time.Hour), Version: 1, Data: []byte(`{"blob":"` + strings.Repeat("y", 200*1024) + `"}`)}
	save(t, s, big)
	got, found, err = s.Load(ctx, big.Key, f.now)
	if err != nil || !found || string(got.Data) != string(big.Data) {
		t.Errorf("the 200 KiB scope loads as %d bytes, %v, %v; want %d", len(got.Data), found, err, len(big.Data))
	}
	// A compare-and-set on a row written before the rev column existed.
	cur, _, err := s.Load(ctx, f.newest, f.now)
	if err != nil || cur.Rev != scopes.LegacyRev(1) {
		t.Fatalf("a row without a rev loads with rev %q, %v; want %q", cur.Rev, err, scopes.LegacyRev(1))
	}
	next := cur
	next.Version++
	next.Rev = scopes.NewRev()
	if res, err := s.Write(ctx, next, cur.Rev, f.now); err != nil || !res.Written {
		t.Errorf("Write over a row without a rev after the migration = %+v, %v", res, err)
	}
	if got, _, err := s.Load(ctx, f.newest, f.now); err != nil || got.Rev != next.Rev || got.Version != 2 {
		t.Errorf("after the write: rev %q version %d, %v; want %q, 2", got.Rev, got.Version, err, next.Rev)
	}
}

// checkStatus checks Tables after the migration.
func (f *legacyFixture) checkStatus(t *testing.T, s *sqlstore.Store, dataType string, extra map[string]int) {
	t.Helper()
	status, err := s.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range status {
		want := f.rows[st.Table] - f.dups[st.Table] + extra[st.Table]
		if !st.Exists || !slices.Equal(st.PrimaryKey, []string{"cfid", "name"}) || !st.Keyed || !st.RevColumns || st.DataType != dataType ||
			!st.ExpiresIndex || !st.NameIndex || st.Duplicates != 0 || len(st.Plan) != 0 || st.Rows != int64(want) {
			t.Errorf("%s after the migration: %+v; want a primary key on (cfid, name), %s, both indexes, %d rows, no plan",
				st.Table, st, dataType, want)
		}
		if st.Undecodable != int64(f.lucee[st.Table]) {
			t.Errorf("%s: %d undecodable rows, want the %d Lucee rows", st.Table, st.Undecodable, f.lucee[st.Table])
		}
	}
}

// createLuceeMySQLTables creates the scope tables as Lucee does, but for
// the unique index of cf_client_data, which some installations lack: that
// table can hold rows tied on expires.
func createLuceeMySQLTables(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, table := range []string{"cf_session_data", "cf_client_data"} {
		ddl := fmt.Sprintf(luceeMySQLTable, table)
		if table == "cf_client_data" {
			ddl = strings.Replace(ddl, "UNIQUE INDEX ix_cf_client_data (cfid, name, expires), ", "", 1)
		}
		if _, err := db.Exec(ddl); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMySQLLegacyMigration(t *testing.T) {
	ctx := context.Background()
	s, dsn := MustOpenMySQL(t)
	defer s.Close()
	db := openDB(t, "mysql", dsn)
	createLuceeMySQLTables(t, db)
	f := fillLegacy(t, db, "mysql")

	// Plan sees what Lucee made; the database's collation is utf8mb4_general_ci.
	steps, err := s.Plan(ctx)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	want := []string{
		"cf_session_data: make cfid and name case-sensitive (utf8mb4_bin, from utf8mb4_general_ci), as cfids and app names are",
		"cf_session_data: change data from text utf8mb4 to LONGTEXT utf8mb4, which holds scopes over 64 KiB and any character",
		"cf_session_data: add the rev column, on which writes compare and set",
		"cf_session_data: add the prev_revs column, by which a write sent again is recognised",
		"cf_session_data: delete 3 duplicate (cfid, name) rows, keeping the newest expires",
		"cf_session_data: add PRIMARY KEY (cfid, name)",
		"cf_session_data: drop Lucee's unique index ix_cf_session_data on (cfid, name, expires): the key on (cfid, name) implies it",
		"cf_session_data: add an index on (name, cfid)",
		"cf_client_data: make cfid and name case-sensitive (utf8mb4_bin, from utf8mb4_general_ci), as cfids and app names are",
		"cf_client_data: change data from text utf8mb4 to LONGTEXT utf8mb4, which holds scopes over 64 KiB and any character",
		"cf_client_data: add the rev column, on which writes compare and set",
		"cf_client_data: add the prev_revs column, by which a write sent again is recognised",
		"cf_client_data: delete 2 duplicate (cfid, name) rows, keeping the newest expires",
		"cf_client_data: add PRIMARY KEY (cfid, name)",
		"cf_client_data: add an index on (name, cfid)",
	}
	want = append(want, createShared("mysql")...)
	checkActions(t, "Plan", steps, want)
	for _, step := range steps {
		if step.SQL == "" || !strings.Contains(step.String(), step.SQL) {
			t.Errorf("step %q: SQL %q, printed %q", step.Action, step.SQL, step.String())
		}
	}
	before, err := s.Tables(ctx)
	if err != nil {
		t.Fatalf("Tables: %v", err)
	}
	if st := before[0]; st.Keyed || st.RevColumns || st.PrimaryKey != nil || st.DataType != "text" || st.Duplicates != 3 ||
		!st.ExpiresIndex || st.NameIndex || st.Rows != int64(f.rows["cf_session_data"]) || st.Expired != 1 || st.Undecodable != 5 {
		t.Errorf("Tables before the migration: %+v", st)
	}

	// A dry run changes nothing.
	schema := func() string {
		var b strings.Builder
		for _, table := range []string{"cf_session_data", "cf_client_data"} {
			var name, ddl string
			if err := db.QueryRow("SHOW CREATE TABLE "+table).Scan(&name, &ddl); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s\n%d rows\n", ddl, countRows(t, db, "mysql", table, ""))
		}
		return b.String()
	}
	was := schema()
	dry, err := s.Migrate(ctx, true)
	if err != nil {
		t.Fatalf("Migrate(dry run): %v", err)
	}
	checkActions(t, "Migrate(dry run)", dry, want)
	if now := schema(); now != was {
		t.Errorf("the dry run changed the tables:\n%s\nwas\n%s", now, was)
	}

	done, err := s.Migrate(ctx, false)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	checkActions(t, "Migrate", done, want)
	if done[4].Rows != 3 || done[12].Rows != 2 {
		t.Errorf("the duplicate removals deleted %d and %d rows, want 3 and 2", done[4].Rows, done[12].Rows)
	}

	for _, table := range []string{"cf_session_data", "cf_client_data"} {
		var name, ddl string
		if err := db.QueryRow("SHOW CREATE TABLE "+table).Scan(&name, &ddl); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"PRIMARY KEY (`cfid`,`name`)", "`data` longtext", "KEY `ix_" + table + "_expires` (`expires`)",
			"KEY `" + table + "_name_cfid` (`name`,`cfid`)"} {
			if !strings.Contains(ddl, want) {
				t.Errorf("SHOW CREATE TABLE %s lacks %s:\n%s", table, want, ddl)
			}
		}
		if strings.Contains(ddl, "UNIQUE KEY") {
			t.Errorf("%s keeps Lucee's unique index:\n%s", table, ddl)
		}
		var collations []string
		rows, err := db.Query(`SELECT CONCAT(COLUMN_NAME, ' ', DATA_TYPE, ' ', COALESCE(COLLATION_NAME, '')) FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			collations = append(collations, c)
		}
		_ = rows.Close()
		if want := []string{"expires varchar utf8mb4_general_ci", "cfid varchar utf8mb4_bin", "name varchar utf8mb4_bin", "data longtext utf8mb4_bin", "rev varchar utf8mb4_bin", "prev_revs varchar utf8mb4_bin"}; !slices.Equal(collations, want) {
			t.Errorf("%s columns %q, want %q", table, collations, want)
		}
	}
	f.checkMigrated(t, s, db, "mysql")
	f.checkStatus(t, s, "longtext", map[string]int{"cf_session_data": 1})

	// Nothing is left to do.
	if again, err := s.Migrate(ctx, false); err != nil || len(again) != 0 {
		t.Errorf("a second Migrate = %v, %v; want nothing to do", actions(again), err)
	}
}

// The first use of a store over Lucee's tables migrates them.
func TestMySQLLegacyMigratesOnFirstUse(t *testing.T) {
	ctx := context.Background()
	_, dsn := MustOpenMySQL(t)
	db := openDB(t, "mysql", dsn)
	createLuceeMySQLTables(t, db)
	f := fillLegacy(t, db, "mysql")

	// A store of its own, as a newly started instance has.
	s := mustOpen(t, scopes.Connection{Name: "sessions", Type: "mysql", Params: map[string]string{"dsn": dsn}})
	defer s.Close()
	got, found, err := s.Load(ctx, f.newest, f.now)
	if err != nil || !found || string(got.Data) != `{"n":3}` {
		t.Fatalf("the first Load = %s, %v, %v; want the newest duplicate", got.Data, found, err)
	}
	f.checkMigrated(t, s, db, "mysql")
	if steps, err := s.Plan(ctx); err != nil || len(steps) != 0 {
		t.Errorf("Plan after the first use = %v, %v; want nothing", actions(steps), err)
	}
}

// Two instances that start together over Lucee's tables migrate them once.
func TestMySQLConcurrentMigrations(t *testing.T) {
	ctx := context.Background()
	_, dsn := MustOpenMySQL(t)
	db := openDB(t, "mysql", dsn)
	createLuceeMySQLTables(t, db)
	f := fillLegacy(t, db, "mysql")
	var stores []*sqlstore.Store
	for range 3 {
		s := mustOpen(t, scopes.Connection{Name: "sessions", Type: "mysql", Params: map[string]string{"dsn": dsn}})
		defer s.Close()
		stores = append(stores, s)
	}
	errs := make(chan error, len(stores))
	steps := make(chan int, len(stores))
	for _, s := range stores {
		go func() {
			done, err := s.Migrate(ctx, false)
			steps <- len(done)
			errs <- err
		}()
	}
	total := 0
	for range stores {
		if err := <-errs; err != nil {
			t.Errorf("Migrate: %v", err)
		}
		total += <-steps
	}
	if want := 15 + len(createShared("mysql")); total != want {
		t.Errorf("the instances took %d steps in all, want the plan's %d once", total, want)
	}
	f.checkMigrated(t, stores[0], db, "mysql")
}

func TestPostgresLegacyMigration(t *testing.T) {
	ctx := context.Background()
	s, u := MustOpenPostgres(t)
	defer s.Close()
	db := openDB(t, "pgx", u)
	for _, stmt := range []string{
		// Lucee's columns, with its unique (cfid, name, expires) as a
		// constraint; the client table has no index at all (it holds rows
		// tied on expires) and a data column of a limited type.
		`CREATE TABLE cf_session_data (expires VARCHAR(64) NOT NULL, cfid VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL, data TEXT NOT NULL,
			CONSTRAINT ux_session UNIQUE (cfid, name, expires))`,
		`CREATE INDEX ix_cf_session_data_expires ON cf_session_data (expires)`,
		`CREATE TABLE cf_client_data (expires VARCHAR(64) NOT NULL, cfid VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL, data VARCHAR(100000) NOT NULL)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	f := fillLegacy(t, db, "pgx")

	want := []string{
		"cf_session_data: add the rev column, on which writes compare and set",
		"cf_session_data: add the prev_revs column, by which a write sent again is recognised",
		"cf_session_data: delete 3 duplicate (cfid, name) rows, keeping the newest expires",
		"cf_session_data: add PRIMARY KEY (cfid, name)",
		"cf_session_data: drop Lucee's unique index ux_session on (cfid, name, expires): the key on (cfid, name) implies it",
		"cf_session_data: add an index on (name, cfid)",
		"cf_client_data: change data from character varying(100000) to TEXT, which holds a scope of any size",
		"cf_client_data: add the rev column, on which writes compare and set",
		"cf_client_data: add the prev_revs column, by which a write sent again is recognised",
		"cf_client_data: delete 2 duplicate (cfid, name) rows, keeping the newest expires",
		"cf_client_data: add PRIMARY KEY (cfid, name)",
		"cf_client_data: add an index on (expires)",
		"cf_client_data: add an index on (name, cfid)",
	}
	want = append(want, createShared("postgres")...)
	steps, err := s.Plan(ctx)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	checkActions(t, "Plan", steps, want)
	if n := countRows(t, db, "pgx", "cf_session_data", ""); n != f.rows["cf_session_data"] {
		t.Fatalf("Plan changed the rows: %d", n)
	}
	done, err := s.Migrate(ctx, false)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	checkActions(t, "Migrate", done, want)
	f.checkMigrated(t, s, db, "pgx")
	f.checkStatus(t, s, "text", map[string]int{"cf_session_data": 1})
	if again, err := s.Migrate(ctx, false); err != nil || len(again) != 0 {
		t.Errorf("a second Migrate = %v, %v; want nothing to do", actions(again), err)
	}
}

// A failed step on PostgreSQL rolls the whole migration back.
func TestPostgresMigrationIsAtomic(t *testing.T) {
	ctx := context.Background()
	s, u := MustOpenPostgres(t)
	defer s.Close()
	db := openDB(t, "pgx", u)
	for _, stmt := range []string{
		`CREATE TABLE cf_session_data (expires VARCHAR(64) NOT NULL, cfid VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL, data TEXT NOT NULL)`,
		// A view in the client table's place makes its plan fail, after
		// the session table's steps ran.
		`CREATE VIEW cf_client_data AS SELECT 1 AS x`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	insertRows(t, db, "pgx", "cf_session_data", []legacyRow{
		{"a", "shop", time.Now(), luceeData}, {"a", "shop", time.Now().Add(time.Second), luceeData},
	})
	if _, err := s.Migrate(ctx, false); err == nil || !strings.Contains(err.Error(), "not a scope table") {
		t.Fatalf("Migrate with a foreign cf_client_data: %v; want it refused", err)
	}
	if n := countRows(t, db, "pgx", "cf_session_data", ""); n != 2 {
		t.Errorf("the failed migration left %d rows of 2: it was not rolled back", n)
	}
}

func TestSQLiteLegacyMigration(t *testing.T) {
	path := t.TempDir() + "/scopes.db"
	db := openDB(t, "sqlite", path)
	for _, table := range []string{"cf_session_data", "cf_client_data"} {
		if _, err := db.Exec(`CREATE TABLE ` + table + ` (expires VARCHAR(64) NOT NULL, cfid VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL, data TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
	}
	f := fillLegacy(t, db, "sqlite")
	s, err := sqlstore.OpenSQLite(path)
	if err != nil {
		t.Fatalf("OpenSQLite over Lucee's tables: %v", err)
	}
	defer s.Close()
	f.checkMigrated(t, s, db, "sqlite")
	status, err := s.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range status {
		// SQLite cannot add a primary key: a unique index keys Lucee's
		// tables. The migration 00003 created the shared scopes' tables
		// with one.
		var pk []string
		if slices.Contains(sharedTables, st.Table) {
			pk = []string{"cfid", "name"}
		}
		if !st.Keyed || !st.RevColumns || !slices.Equal(st.PrimaryKey, pk) || !st.ExpiresIndex || !st.NameIndex || len(st.Plan) != 0 || st.Undecodable != int64(f.lucee[st.Table]) {
			t.Errorf("%s after the migration: %+v", st.Table, st)
		}
	}
}
