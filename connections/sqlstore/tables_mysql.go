package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// mysqlSchema reads MySQL's and MariaDB's information_schema and writes
// their DDL. Each step is one statement, as MySQL commits DDL implicitly.
//
// cfid and name are utf8mb4_bin: app names are case-sensitive ("Shop" and
// "shop" are two apps), and a _ci or accent-insensitive collation (the
// server default) would let one app's List see the other's scopes and
// their keys collide. cfids arrive lower-cased from the API, but binary
// comparison costs nothing and keeps List's order the byte order. MariaDB's
// utf8mb4_bin ignores trailing spaces, which cfids and app names never have.
type mysqlSchema struct{}

const mysqlCreate = `CREATE TABLE IF NOT EXISTS %[1]s (
    expires VARCHAR(64)  NOT NULL,
    cfid    VARCHAR(64)  NOT NULL,
    name    VARCHAR(255) NOT NULL,
    data    LONGTEXT     NOT NULL,
%[2]s    PRIMARY KEY (cfid, name),
    INDEX %[1]s_expires (expires),
    INDEX %[1]s_name_cfid (name, cfid)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`

func (mysqlSchema) inspect(ctx context.Context, q querier, table string) (tableInfo, error) {
	info := tableInfo{columns: map[string]columnInfo{}}
	var engine sql.NullString
	err := q.QueryRowxContext(ctx, `SELECT ENGINE FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, table).Scan(&engine)
	if errors.Is(err, sql.ErrNoRows) {
		return info, nil
	} else if err != nil {
		return info, err
	}
	info.exists, info.engine = true, engine.String

	rows, err := q.QueryxContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLLATION_NAME, '')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, table)
	if err != nil {
		return info, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var c columnInfo
		if err := rows.Scan(&name, &c.typ, &c.charset, &c.collation); err != nil {
			return info, err
		}
		c.typ = strings.ToLower(c.typ)
		info.columns[strings.ToLower(name)] = c
	}
	if err := rows.Err(); err != nil {
		return info, err
	}

	rows, err = q.QueryxContext(ctx, `SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
		ORDER BY INDEX_NAME, SEQ_IN_INDEX`, table)
	if err != nil {
		return info, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, col string
		var nonUnique int
		if err := rows.Scan(&name, &nonUnique, &col); err != nil {
			return info, err
		}
		if n := len(info.indexes); n == 0 || info.indexes[n-1].name != name {
			info.indexes = append(info.indexes, indexInfo{name: name, primary: name == "PRIMARY", unique: nonUnique == 0})
		}
		ix := &info.indexes[len(info.indexes)-1]
		ix.columns = append(ix.columns, strings.ToLower(col))
	}
	return info, rows.Err()
}

func (mysqlSchema) create(table string) []Step {
	return []Step{{Table: table, Action: "create the table", SQL: fmt.Sprintf(mysqlCreate, table, revColumnsDDL(mysqlSchema{}))}}
}

func (mysqlSchema) columns(table string, info tableInfo) []Step {
	var steps []Step
	if !strings.EqualFold(info.engine, "InnoDB") {
		steps = append(steps, Step{Table: table,
			Action: fmt.Sprintf("convert the table from %s to InnoDB, whose row locks keep concurrent updates apart", info.engine),
			SQL:    "ALTER TABLE " + table + " ENGINE = InnoDB"})
	}
	cfid, name := info.columns["cfid"], info.columns["name"]
	if cfid.collation != "utf8mb4_bin" || name.collation != "utf8mb4_bin" {
		steps = append(steps, Step{Table: table,
			Action: fmt.Sprintf("make cfid and name case-sensitive (utf8mb4_bin, from %s), as cfids and app names are", name.collation),
			SQL: "ALTER TABLE " + table +
				" MODIFY cfid VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL," +
				" MODIFY name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"})
	}
	if data := info.columns["data"]; data.typ != "longtext" || data.charset != "utf8mb4" {
		steps = append(steps, Step{Table: table,
			Action: fmt.Sprintf("change data from %s %s to LONGTEXT utf8mb4, which holds scopes over 64 KiB and any character", data.typ, data.charset),
			SQL:    "ALTER TABLE " + table + " MODIFY data LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"})
	}
	return steps
}

// column is binary-collated, as revs are case-sensitive. ADD COLUMN adds
// it at the end, which MariaDB 10.3+ and MySQL 8.0.29+ do in place
// (ALGORITHM=INSTANT) without rebuilding the table.
func (mysqlSchema) column(name string, width int) string {
	return fmt.Sprintf("%s VARCHAR(%d) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT ''", name, width)
}

// countDuplicates compares cfid and name as utf8mb4_bin, as they will be
// once the columns step ran: rows whose cfids differ only in case are not
// duplicates.
func (mysqlSchema) countDuplicates(ctx context.Context, q querier, table string) (int64, error) {
	var n int64
	err := q.QueryRowxContext(ctx, `SELECT CAST(COALESCE(SUM(n - 1), 0) AS SIGNED) FROM (
		SELECT COUNT(*) AS n FROM `+table+`
		GROUP BY CONVERT(cfid USING utf8mb4) COLLATE utf8mb4_bin, CONVERT(name USING utf8mb4) COLLATE utf8mb4_bin
		HAVING COUNT(*) > 1) d`).Scan(&n)
	return n, err
}

// dedupe deletes in two statements, as MySQL tables without a key have no
// row identity to tell two rows apart: first every row older than the
// newest of its (cfid, name), then, for each (cfid, name) whose newest rows
// tie on expires, all but one of them with DELETE … LIMIT.
func (mysqlSchema) dedupe(table string, n int64) Step {
	older := `DELETE t FROM ` + table + ` AS t JOIN (
		SELECT cfid, name, MAX(expires) AS newest FROM ` + table + ` GROUP BY cfid, name HAVING COUNT(*) > 1
	) AS d ON t.cfid = d.cfid AND t.name = d.name WHERE t.expires < d.newest`
	ties := `SELECT cfid, name, COUNT(*) FROM ` + table + ` GROUP BY cfid, name HAVING COUNT(*) > 1`
	tie := `DELETE FROM ` + table + ` WHERE cfid = ? AND name = ? LIMIT ?`
	return Step{
		Table:  table,
		Action: fmt.Sprintf("delete %d duplicate (cfid, name) rows, keeping the newest expires", n),
		SQL:    older + ";\n    then for each (cfid, name) still tied on expires: " + tie + " (with the count less one)",
		Rows:   n,
		run: func(ctx context.Context, q querier) (int64, error) {
			res, err := q.ExecContext(ctx, older)
			if err != nil {
				return 0, err
			}
			deleted, err := res.RowsAffected()
			if err != nil {
				return deleted, err
			}
			type group struct {
				cfid, name string
				n          int64
			}
			var groups []group
			rows, err := q.QueryxContext(ctx, ties)
			if err != nil {
				return deleted, err
			}
			for rows.Next() {
				var g group
				if err := rows.Scan(&g.cfid, &g.name, &g.n); err != nil {
					_ = rows.Close()
					return deleted, err
				}
				groups = append(groups, g)
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return deleted, err
			}
			for _, g := range groups {
				res, err := q.ExecContext(ctx, tie, g.cfid, g.name, g.n-1)
				if err != nil {
					return deleted, err
				}
				n, err := res.RowsAffected()
				deleted += n
				if err != nil {
					return deleted, err
				}
			}
			return deleted, nil
		},
	}
}

func (mysqlSchema) addKey(table string, info tableInfo) Step {
	if info.primaryKey() == nil {
		return Step{Table: table, Action: "add PRIMARY KEY (cfid, name)",
			SQL: "ALTER TABLE " + table + " ADD PRIMARY KEY (cfid, name)"}
	}
	return Step{Table: table, Action: "add a unique index on (cfid, name), as the table has another primary key",
		SQL: "ALTER TABLE " + table + " ADD UNIQUE INDEX " + table + "_cfid_name (cfid, name)"}
}

func (mysqlSchema) dropIndex(table string, ix indexInfo) (Step, bool) {
	return Step{Table: table,
		Action: fmt.Sprintf("drop Lucee's unique index %s on (%s): the key on (cfid, name) implies it", ix.name, strings.Join(ix.columns, ", ")),
		SQL:    "ALTER TABLE " + table + " DROP INDEX " + mysqlQuote(ix.name)}, true
}

func (mysqlSchema) addIndex(table, name string, cols ...string) Step {
	return Step{Table: table, Action: "add an index on (" + strings.Join(cols, ", ") + ")",
		SQL: "CREATE INDEX " + name + " ON " + table + " (" + strings.Join(cols, ", ") + ")"}
}

// mysqlQuote quotes an identifier for MySQL.
func mysqlQuote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
