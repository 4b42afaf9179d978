package sqlstore

import (
	"fmt"

	"github.com/jmoiron/sqlx"
)

// dialect holds what differs between the databases the store runs on. The
// statements are written with ? placeholders and rebound with sqlx.Rebind;
// %[1]s stands for the table.
type dialect struct {
	name string
	// bind is the sqlx bindvar type of the driver.
	bind int
	// upsert inserts a row or replaces the expires and data of the row with
	// the same (cfid, name); its arguments are cfid, name, expires, data.
	upsert string
	// lockRow ends the read that Update makes inside its transaction. SQLite
	// needs nothing: its writes go through one connection and each transaction
	// takes the write lock at BEGIN (BEGIN IMMEDIATE), so transactions
	// serialize. MySQL and PostgreSQL will use " FOR UPDATE".
	lockRow string
	// deleteExpired deletes at most a given number of rows that expired at a
	// given time; its arguments are now and limit.
	deleteExpired string
}

// sqliteDialect is the dialect of modernc.org/sqlite.
var sqliteDialect = dialect{
	name: "sqlite",
	bind: sqlx.QUESTION,
	upsert: `INSERT INTO %[1]s (cfid, name, expires, data) VALUES (?, ?, ?, ?)
		ON CONFLICT (cfid, name) DO UPDATE SET expires = excluded.expires, data = excluded.data`,
	lockRow: "",
	// SQLite has no DELETE … LIMIT unless compiled for it; rowid is there in
	// every table that is not WITHOUT ROWID, as these are not.
	deleteExpired: `DELETE FROM %[1]s WHERE rowid IN (SELECT rowid FROM %[1]s WHERE expires <= ? LIMIT ?)`,
}

// statements are a dialect's statements for one table, ready to run.
type statements struct {
	table         string
	get           string // args: cfid, name
	getForUpdate  string // args: cfid, name
	upsert        string // args: cfid, name, expires, data
	delete        string // args: cfid, name
	list          string // args: name, after, now, limit
	deleteExpired string // args: now, limit
}

func (d dialect) statements(table string) statements {
	q := func(format string) string {
		return sqlx.Rebind(d.bind, fmt.Sprintf(format, table))
	}
	const get = `SELECT expires, data FROM %[1]s WHERE cfid = ? AND name = ?`
	return statements{
		table:        table,
		get:          q(get),
		getForUpdate: q(get + d.lockRow),
		upsert:       q(d.upsert),
		delete:       q(`DELETE FROM %[1]s WHERE cfid = ? AND name = ?`),
		// The (name, cfid) index yields the rows in order; expires is
		// checked on the rows it yields.
		list:          q(`SELECT cfid, data FROM %[1]s WHERE name = ? AND cfid > ? AND expires > ? ORDER BY cfid LIMIT ?`),
		deleteExpired: q(d.deleteExpired),
	}
}
