package sqlstore

import (
	"context"
	"fmt"
	"strings"
)

// postgresSchema reads PostgreSQL's catalogs and writes its DDL. The tables
// are those of the connection's search_path, as every statement names them
// unqualified.
//
// The tables it creates compare cfid, name and expires in the "C" collation:
// byte order, the same as Go's, for List's pages, and cheaper indexes.
// PostgreSQL's other (deterministic) collations are case-sensitive too, so
// a legacy table keeps its collation; only List's order within an app
// follows it.
type postgresSchema struct{}

const postgresCreate = `CREATE TABLE IF NOT EXISTS %[1]s (
    expires VARCHAR(64)  COLLATE "C" NOT NULL,
    cfid    VARCHAR(64)  COLLATE "C" NOT NULL,
    name    VARCHAR(255) COLLATE "C" NOT NULL,
    data    TEXT         NOT NULL,
%[2]s    PRIMARY KEY (cfid, name)
)`

func (postgresSchema) inspect(ctx context.Context, q querier, table string) (tableInfo, error) {
	info := tableInfo{columns: map[string]columnInfo{}}
	if err := q.QueryRowxContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&info.exists); err != nil || !info.exists {
		return info, err
	}
	rows, err := q.QueryxContext(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), COALESCE(co.collname, '')
		FROM pg_attribute a LEFT JOIN pg_collation co ON co.oid = a.attcollation
		WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`, table)
	if err != nil {
		return info, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var c columnInfo
		if err := rows.Scan(&name, &c.typ, &c.collation); err != nil {
			return info, err
		}
		info.columns[name] = c
	}
	if err := rows.Err(); err != nil {
		return info, err
	}

	// Key columns only (not INCLUDE ones); expression and partial indexes
	// serve none of the store's statements and are left out.
	rows, err = q.QueryxContext(ctx, `SELECT i.relname, x.indisprimary, x.indisunique,
			EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid),
			array_to_string(ARRAY(
				SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
				JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
				WHERE k.ord <= x.indnkeyatts ORDER BY k.ord), ',')
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		WHERE x.indrelid = to_regclass($1) AND x.indexprs IS NULL AND x.indpred IS NULL
		ORDER BY i.relname`, table)
	if err != nil {
		return info, err
	}
	defer rows.Close()
	for rows.Next() {
		var ix indexInfo
		var cols string
		if err := rows.Scan(&ix.name, &ix.primary, &ix.unique, &ix.constraint, &cols); err != nil {
			return info, err
		}
		ix.columns = strings.Split(cols, ",")
		info.indexes = append(info.indexes, ix)
	}
	return info, rows.Err()
}

func (postgresSchema) create(table string) []Step {
	s := postgresSchema{}
	return []Step{
		{Table: table, Action: "create the table", SQL: fmt.Sprintf(postgresCreate, table, revColumnsDDL(s))},
		s.addIndex(table, table+"_expires", "expires"),
		s.addIndex(table, table+"_name_cfid", "name", "cfid"),
	}
}

func (postgresSchema) columns(table string, info tableInfo) []Step {
	if data := info.columns["data"]; data.typ != "text" {
		return []Step{{Table: table,
			Action: fmt.Sprintf("change data from %s to TEXT, which holds a scope of any size", data.typ),
			SQL:    "ALTER TABLE " + table + " ALTER COLUMN data TYPE TEXT"}}
	}
	return nil
}

// column compares in the "C" collation, byte by byte. With a constant
// default, ADD COLUMN changes only the catalog (PostgreSQL 11+), without
// rewriting the table.
func (postgresSchema) column(name string, width int) string {
	return fmt.Sprintf(`%s VARCHAR(%d) COLLATE "C" NOT NULL DEFAULT ''`, name, width)
}

func (postgresSchema) countDuplicates(ctx context.Context, q querier, table string) (int64, error) {
	var n int64
	err := q.QueryRowxContext(ctx, `SELECT COALESCE(SUM(n - 1), 0)::bigint FROM (
		SELECT COUNT(*) AS n FROM `+table+` GROUP BY cfid, name HAVING COUNT(*) > 1) d`).Scan(&n)
	return n, err
}

// dedupe numbers the rows of each (cfid, name) from the newest expires down
// and deletes all but the first, by ctid: exactly one row of each stays,
// whatever ties.
func (postgresSchema) dedupe(table string, n int64) Step {
	return Step{
		Table:  table,
		Action: fmt.Sprintf("delete %d duplicate (cfid, name) rows, keeping the newest expires", n),
		SQL: `DELETE FROM ` + table + ` WHERE ctid = ANY(ARRAY(SELECT ctid FROM (
		SELECT ctid, row_number() OVER (PARTITION BY cfid, name ORDER BY expires DESC) AS rn FROM ` + table + `
	) AS r WHERE rn > 1))`,
		Rows: n,
	}
}

func (postgresSchema) addKey(table string, info tableInfo) Step {
	if info.primaryKey() == nil {
		return Step{Table: table, Action: "add PRIMARY KEY (cfid, name)",
			SQL: "ALTER TABLE " + table + " ADD PRIMARY KEY (cfid, name)"}
	}
	return Step{Table: table, Action: "add a unique constraint on (cfid, name), as the table has another primary key",
		SQL: "ALTER TABLE " + table + " ADD CONSTRAINT " + table + "_cfid_name_key UNIQUE (cfid, name)"}
}

func (postgresSchema) dropIndex(table string, ix indexInfo) (Step, bool) {
	action := fmt.Sprintf("drop Lucee's unique index %s on (%s): the key on (cfid, name) implies it", ix.name, strings.Join(ix.columns, ", "))
	if ix.constraint {
		return Step{Table: table, Action: action, SQL: "ALTER TABLE " + table + " DROP CONSTRAINT " + doubleQuote(ix.name)}, true
	}
	return Step{Table: table, Action: action, SQL: "DROP INDEX " + doubleQuote(ix.name)}, true
}

func (postgresSchema) addIndex(table, name string, cols ...string) Step {
	return Step{Table: table, Action: "add an index on (" + strings.Join(cols, ", ") + ")",
		SQL: "CREATE INDEX IF NOT EXISTS " + name + " ON " + table + " (" + strings.Join(cols, ", ") + ")"}
}

// doubleQuote quotes an identifier for PostgreSQL and SQLite.
func doubleQuote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
