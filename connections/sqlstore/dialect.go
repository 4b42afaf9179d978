package sqlstore

import (
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// The dialect names.
const (
	nameSQLite   = "sqlite"
	nameMySQL    = "mysql"
	namePostgres = "postgres"
)

// dialect holds what differs between the databases the store runs on. The
// statements are written with ? placeholders and rebound with sqlx.Rebind;
// %[1]s stands for the table.
type dialect struct {
	name string
	// product names the database in messages: "MySQL", "PostgreSQL".
	product string
	// bind is the sqlx bindvar type of the driver.
	bind int
	// upsert inserts a row or replaces the expires and data of the row with
	// the same (cfid, name); its arguments are cfid, name, expires, data.
	upsert string
	// insert inserts a row that Update found missing; its arguments are
	// cfid, name, expires, data. When another transaction inserted the same
	// (cfid, name) first, it fails with a duplicate-key error (MySQL) or
	// inserts nothing (ON CONFLICT DO NOTHING), and Update starts again.
	insert string
	// lockRow ends the read that Update makes inside its transaction. SQLite
	// needs nothing: its writes go through one connection and each transaction
	// takes the write lock at BEGIN (BEGIN IMMEDIATE), so transactions
	// serialize. MySQL and PostgreSQL lock the row with FOR UPDATE.
	lockRow string
	// isolation is the isolation level of Update's transaction (see
	// mysqlDialect).
	isolation sql.IsolationLevel
	// schema reads and changes the tables' layout (see schema.go).
	schema schemaDialect
	// transactionalDDL tells whether a migration can run in one transaction.
	// MySQL commits DDL implicitly: there every step stands alone.
	transactionalDDL bool
}

// sqliteDialect is the dialect of modernc.org/sqlite.
var sqliteDialect = dialect{
	name:    nameSQLite,
	product: "SQLite",
	bind:    sqlx.QUESTION,
	upsert: `INSERT INTO %[1]s (cfid, name, expires, data) VALUES (?, ?, ?, ?)
		ON CONFLICT (cfid, name) DO UPDATE SET expires = excluded.expires, data = excluded.data`,
	insert:           `INSERT INTO %[1]s (cfid, name, expires, data) VALUES (?, ?, ?, ?) ON CONFLICT (cfid, name) DO NOTHING`,
	lockRow:          "",
	schema:           sqliteSchema{},
	transactionalDDL: true,
}

// mysqlDialect is the dialect of MySQL and MariaDB with InnoDB tables.
//
// Update runs at READ COMMITTED: there a SELECT … FOR UPDATE that finds no
// row locks nothing, so two transactions that both create the same scope
// meet at the primary key (the second INSERT waits for the first and then
// fails with a duplicate key, and Update starts again). At REPEATABLE READ
// both would take a gap lock and deadlock each other on their INSERTs.
// READ COMMITTED needs binlog_format ROW or MIXED when the binary log is on,
// the default of MySQL 5.7.7+ and of MariaDB.
var mysqlDialect = dialect{
	name:    nameMySQL,
	product: "MySQL",
	bind:    sqlx.QUESTION,
	// VALUES() is deprecated in MySQL 8.0.20+ in favour of a row alias, which
	// MariaDB does not have; both still accept VALUES().
	upsert: `INSERT INTO %[1]s (cfid, name, expires, data) VALUES (?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE expires = VALUES(expires), data = VALUES(data)`,
	// Not INSERT IGNORE: it would turn every other error (a value too long,
	// say) into a warning as well.
	insert:           `INSERT INTO %[1]s (cfid, name, expires, data) VALUES (?, ?, ?, ?)`,
	lockRow:          " FOR UPDATE",
	isolation:        sql.LevelReadCommitted,
	schema:           mysqlSchema{},
	transactionalDDL: false,
}

// postgresDialect is the dialect of PostgreSQL through pgx. Its default
// READ COMMITTED suits Update as it does on MySQL; an INSERT of a key that
// a concurrent transaction inserted waits for it and then does nothing.
var postgresDialect = dialect{
	name:    namePostgres,
	product: "PostgreSQL",
	bind:    sqlx.DOLLAR,
	upsert: `INSERT INTO %[1]s (cfid, name, expires, data) VALUES (?, ?, ?, ?)
		ON CONFLICT (cfid, name) DO UPDATE SET expires = excluded.expires, data = excluded.data`,
	// DO NOTHING rather than an error: a unique violation would abort the
	// transaction and fill the server's log.
	insert:           `INSERT INTO %[1]s (cfid, name, expires, data) VALUES (?, ?, ?, ?) ON CONFLICT (cfid, name) DO NOTHING`,
	lockRow:          " FOR UPDATE",
	schema:           postgresSchema{},
	transactionalDDL: true,
}

// statements are a dialect's statements for one table, ready to run.
type statements struct {
	table         string
	get           string // args: cfid, name
	getForUpdate  string // args: cfid, name
	upsert        string // args: cfid, name, expires, data
	insert        string // args: cfid, name, expires, data
	update        string // args: expires, data, cfid, name
	delete        string // args: cfid, name
	list          string // args: name, after, now, limit
	count         string // args: name, now
	selectExpired string // args: now, limit
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
		insert:       q(d.insert),
		update:       q(`UPDATE %[1]s SET expires = ?, data = ? WHERE cfid = ? AND name = ?`),
		delete:       q(`DELETE FROM %[1]s WHERE cfid = ? AND name = ?`),
		// The (name, cfid) index yields the rows in order; expires is
		// checked on the rows it yields.
		list:  q(`SELECT cfid, data FROM %[1]s WHERE name = ? AND cfid > ? AND expires > ? ORDER BY cfid LIMIT ?`),
		count: q(`SELECT COUNT(*) FROM %[1]s WHERE name = ? AND expires > ?`), // its cost: see Count
		// DeleteExpired reads the keys of the expired rows through the
		// expires index, oldest first, locking them (FOR UPDATE; SQLite's
		// transaction holds the write lock), then deletes them in chunks
		// (see deleteKeys), so that it knows exactly which scopes it deleted.
		selectExpired: q(`SELECT cfid, name FROM %[1]s WHERE expires <= ? ORDER BY expires LIMIT ?` + d.lockRow),
	}
}
