package sqlstore

import (
	"context"
	"fmt"
	"strings"
)

// sqliteSchema reads SQLite's pragmas and writes its DDL. SQLite cannot add
// a primary key to a table, so a legacy table gets a unique index on
// (cfid, name) instead, which ON CONFLICT (cfid, name) uses the same way;
// the type of data does not matter, as any TEXT value has no size limit.
type sqliteSchema struct{}

const sqliteCreate = `CREATE TABLE IF NOT EXISTS %[1]s (
    expires VARCHAR(64)  NOT NULL,
    cfid    VARCHAR(64)  NOT NULL,
    name    VARCHAR(255) NOT NULL,
    data    TEXT         NOT NULL,
%[2]s    PRIMARY KEY (cfid, name)
)`

func (sqliteSchema) inspect(ctx context.Context, q querier, table string) (tableInfo, error) {
	info := tableInfo{columns: map[string]columnInfo{}}
	var n int
	if err := q.QueryRowxContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil || n == 0 {
		return info, err
	}
	info.exists = true

	rows, err := q.QueryxContext(ctx, `SELECT name, type FROM pragma_table_info(?)`, table)
	if err != nil {
		return info, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var c columnInfo
		if err := rows.Scan(&name, &c.typ); err != nil {
			return info, err
		}
		info.columns[strings.ToLower(name)] = c
	}
	if err := rows.Err(); err != nil {
		return info, err
	}

	rows, err = q.QueryxContext(ctx, `SELECT l.name, l."unique", l.origin, COALESCE(i.name, '')
		FROM pragma_index_list(?) AS l JOIN pragma_index_info(l.name) AS i
		WHERE l.partial = 0 ORDER BY l.name, i.seqno`, table)
	if err != nil {
		return info, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, origin, col string
		var unique bool
		if err := rows.Scan(&name, &unique, &origin, &col); err != nil {
			return info, err
		}
		if n := len(info.indexes); n == 0 || info.indexes[n-1].name != name {
			// origin: c for CREATE INDEX, u for a UNIQUE constraint, pk
			// for the primary key; only the first can be dropped.
			info.indexes = append(info.indexes, indexInfo{name: name, primary: origin == "pk", unique: unique, constraint: origin != "c"})
		}
		ix := &info.indexes[len(info.indexes)-1]
		ix.columns = append(ix.columns, strings.ToLower(col))
	}
	return info, rows.Err()
}

func (sqliteSchema) create(table string) []Step {
	s := sqliteSchema{}
	return []Step{
		{Table: table, Action: "create the table", SQL: fmt.Sprintf(sqliteCreate, table, revColumnsDDL(s))},
		s.addIndex(table, table+"_expires", "expires"),
		s.addIndex(table, table+"_name_cfid", "name", "cfid"),
	}
}

func (sqliteSchema) columns(string, tableInfo) []Step { return nil }

// column is the same as the numbered migration 00002 adds.
func (sqliteSchema) column(name string, width int) string {
	return fmt.Sprintf("%s VARCHAR(%d) NOT NULL DEFAULT ''", name, width)
}

func (sqliteSchema) countDuplicates(ctx context.Context, q querier, table string) (int64, error) {
	var n int64
	err := q.QueryRowxContext(ctx, `SELECT COALESCE(SUM(n - 1), 0) FROM (
		SELECT COUNT(*) AS n FROM `+table+` GROUP BY cfid, name HAVING COUNT(*) > 1)`).Scan(&n)
	return n, err
}

// dedupe numbers the rows of each (cfid, name) from the newest expires down
// and deletes all but the first, by rowid.
func (sqliteSchema) dedupe(table string, n int64) Step {
	return Step{
		Table:  table,
		Action: fmt.Sprintf("delete %d duplicate (cfid, name) rows, keeping the newest expires", n),
		SQL: `DELETE FROM ` + table + ` WHERE rowid IN (SELECT rid FROM (
		SELECT rowid AS rid, row_number() OVER (PARTITION BY cfid, name ORDER BY expires DESC) AS rn FROM ` + table + `
	) WHERE rn > 1)`,
		Rows: n,
	}
}

func (sqliteSchema) addKey(table string, _ tableInfo) Step {
	return Step{Table: table, Action: "add a unique index on (cfid, name), as SQLite cannot add a primary key to a table",
		SQL: "CREATE UNIQUE INDEX IF NOT EXISTS " + table + "_cfid_name ON " + table + " (cfid, name)"}
}

func (sqliteSchema) dropIndex(table string, ix indexInfo) (Step, bool) {
	if ix.constraint {
		return Step{}, false
	}
	return Step{Table: table,
		Action: fmt.Sprintf("drop Lucee's unique index %s on (%s): the key on (cfid, name) implies it", ix.name, strings.Join(ix.columns, ", ")),
		SQL:    "DROP INDEX " + doubleQuote(ix.name)}, true
}

func (sqliteSchema) addIndex(table, name string, cols ...string) Step {
	return Step{Table: table, Action: "add an index on (" + strings.Join(cols, ", ") + ")",
		SQL: "CREATE INDEX IF NOT EXISTS " + name + " ON " + table + " (" + strings.Join(cols, ", ") + ")"}
}
