package main

import (
	"database/sql"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/scopestore/scopestore/connections/conntest"
)

// luceeDDL is the table Lucee creates for session storage on MySQL.
const luceeDDL = `CREATE TABLE cf_session_data (expires VARCHAR(64) NOT NULL, cfid VARCHAR(64) NOT NULL,
	name VARCHAR(255) NOT NULL, data TEXT NOT NULL, UNIQUE INDEX ix_cf_session_data (cfid, name, expires),
	INDEX ix_cf_session_data_expires (expires))`

func TestMigrateConnection(t *testing.T) {
	dsn := conntest.MySQLDSN(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		luceeDDL,
		`INSERT INTO cf_session_data VALUES ('9999999999998','c1','shop','rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA=='),
			('9999999999999','c1','shop','rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA=='), ('9999999999999','c2','shop','rO0AB')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	mustCLI(t, dir, "connection", "create", "--name", "sstorage", "--type", "mysql", "--dsn", dsn, "--storage")

	out := mustCLI(t, dir, "migrate", "--connection", "sstorage", "--dry-run")
	if !strings.Contains(out, "dry run: nothing was changed") || !strings.Contains(strings.ToLower(out), "primary key") || !strings.Contains(out, "duplicate") {
		t.Fatalf("dry run output:\n%s", out)
	}
	var rows int
	if err := db.QueryRow(`SELECT COUNT(*) FROM cf_session_data`).Scan(&rows); err != nil || rows != 3 {
		t.Fatalf("the dry run changed the table: %d rows, %v", rows, err)
	}

	out = mustCLI(t, dir, "migrate", "--connection", "sstorage")
	if !strings.Contains(out, "Done:") {
		t.Fatalf("migrate output:\n%s", out)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM cf_session_data`).Scan(&rows); err != nil || rows != 2 {
		t.Fatalf("after migrating: %d rows, %v; want the duplicate gone and nothing else", rows, err)
	}
	var dataType string
	if err := db.QueryRow(`SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
		AND TABLE_NAME = 'cf_session_data' AND COLUMN_NAME = 'data'`).Scan(&dataType); err != nil || dataType != "longtext" {
		t.Fatalf("data column is %q, %v; want longtext", dataType, err)
	}
	out = mustCLI(t, dir, "migrate", "--connection", "sstorage")
	if !strings.Contains(out, "nothing to do") {
		t.Fatalf("a second migrate should find nothing to do:\n%s", out)
	}
	if code, _, errOut := cli(t, dir, "", "migrate", "--connection", "nope"); code != exitNotFound {
		t.Fatalf("unknown connection: exit %d %s", code, errOut)
	}
}
