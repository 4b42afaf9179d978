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
	// upsert is Write with ExpectAny: it inserts a row or replaces the row
	// with the same (cfid, name), unless that row holds the write already
	// (see seen); its arguments are cfid, name, expires, data, rev.
	upsert string
	// create is Write with ExpectAbsent: it inserts a row, or takes over
	// the row with the same (cfid, name) when that one expired at now and
	// does not hold the write already; it changes no row when a live one is
	// there. Its arguments are cfid, name, expires, data, rev, then now
	// createNows times.
	create     string
	createNows int
	// lockRow ends DeleteExpired's read of the expired rows, which locks
	// them. SQLite needs nothing: its transactions take the write lock at
	// BEGIN (BEGIN IMMEDIATE). MySQL and PostgreSQL lock with FOR UPDATE.
	lockRow string
	// isolation is the isolation level of DeleteExpired's transaction (see
	// mysqlDialect).
	isolation sql.IsolationLevel
	// schema reads and changes the tables' layout (see tables.go).
	schema schemaDialect
	// transactionalDDL tells whether a migration can run in one transaction.
	// MySQL commits DDL implicitly: there every step stands alone.
	transactionalDDL bool
	// prepare runs the statements of Load and Write prepared on the server
	// (see preparedStmts). go-sql-driver sends text queries unless told to
	// prepare; pgx prepares and caches them by itself; SQLite runs in the
	// process, where preparing was not measured.
	prepare bool
}

// prevRevs is the new value of prev_revs in a write that replaces a row:
// the row's rev before its prev_revs, newest first, cut to the column's
// width, 255 (see tables.go): the last 15 revs of 16 characters. The cut may leave a part of the oldest rev, which no whole rev
// equals. Every write's SET assigns it before rev, as MySQL assigns left to
// right, each assignment seeing those before it.
const prevRevs = `substr(concat(%[1]s.rev, ' ', %[1]s.prev_revs), 1, 255)`

// seen returns the condition that the row holds the write whose rev is
// the expression rev already, as its rev or among its prev_revs, with the
// dialect's instr (SQLite, MySQL) or strpos (PostgreSQL), both of which
// take the string searched first. Write checks the same in Go (see
// resolve).
func seen(instr, rev string) string {
	return `(%[1]s.rev = ` + rev + ` OR ` + instr + `(concat(' ', %[1]s.prev_revs, ' '), concat(' ', ` + rev + `, ' ')) > 0)`
}

// onConflict returns the upsert and create of SQLite and PostgreSQL, whose
// ON CONFLICT needs the key on (cfid, name) that Migrate guarantees. The
// WHERE of DO UPDATE sees the row in the table: when it is false the row
// stays as it is and the statement reports no row changed.
func onConflict(instr string) (upsert, create string) {
	const insert = `INSERT INTO %[1]s (cfid, name, expires, data, rev) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (cfid, name) DO UPDATE SET expires = excluded.expires, data = excluded.data,
		prev_revs = ` + prevRevs + `, rev = excluded.rev
	WHERE `
	fresh := `NOT ` + seen(instr, "excluded.rev")
	return insert + fresh, insert + `%[1]s.expires <= ? AND ` + fresh
}

var liteUpsert, liteCreate = onConflict("instr")

// sqliteDialect is the dialect of modernc.org/sqlite.
var sqliteDialect = dialect{
	name:             nameSQLite,
	product:          "SQLite",
	bind:             sqlx.QUESTION,
	upsert:           liteUpsert,
	create:           liteCreate,
	createNows:       1,
	lockRow:          "",
	schema:           sqliteSchema{},
	transactionalDDL: true,
}

// mysqlFresh is the condition that the row does not hold the write yet.
var mysqlFresh = `NOT ` + seen("INSTR", "VALUES(rev)")

// mysqlDialect is the dialect of MySQL and MariaDB with InnoDB tables.
//
// DeleteExpired runs at READ COMMITTED: its SELECT … FOR UPDATE then locks
// the expired rows it finds and not the gaps of the expires index between
// them, which at REPEATABLE READ would hold up every write whose new
// expires falls into one. READ COMMITTED needs binlog_format ROW or MIXED
// when the binary log is on, the default of MySQL 5.7.7+ and of MariaDB.
// Writes are single statements in autocommit and need no isolation level.
//
// MySQL has no WHERE on ON DUPLICATE KEY UPDATE: each column keeps its
// value unless the condition holds. The assignments run left to right,
// each seeing the columns assigned before it, so the condition is tested
// on prev_revs and rev, in that order (it reads the same on the prev_revs
// just assigned), and data and expires then follow rev: they take the
// write's values when rev is the write's, which it was already when the
// row holds this very write, with those same values. A row that keeps its
// values counts as 0 rows affected as long as the connection does not ask
// for found rows (see mysqlConfig); an insert counts 1, a replacement 2.
// Not INSERT IGNORE: it would turn every other error (a value too long,
// say) into a warning as well. VALUES() is deprecated in MySQL 8.0.20+ in
// favour of a row alias, which MariaDB does not have; both accept VALUES().
var mysqlDialect = dialect{
	name:    nameMySQL,
	product: "MySQL",
	bind:    sqlx.QUESTION,
	upsert: `INSERT INTO %[1]s (cfid, name, expires, data, rev) VALUES (?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE
			prev_revs = IF(` + mysqlFresh + `, ` + prevRevs + `, prev_revs),
			rev = IF(` + mysqlFresh + `, VALUES(rev), rev),
			data = IF(rev = VALUES(rev), VALUES(data), data),
			expires = IF(rev = VALUES(rev), VALUES(expires), expires)`,
	create: `INSERT INTO %[1]s (cfid, name, expires, data, rev) VALUES (?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE
			prev_revs = IF(expires <= ? AND ` + mysqlFresh + `, ` + prevRevs + `, prev_revs),
			rev = IF(expires <= ? AND ` + mysqlFresh + `, VALUES(rev), rev),
			data = IF(rev = VALUES(rev), VALUES(data), data),
			expires = IF(rev = VALUES(rev), VALUES(expires), expires)`,
	createNows:       2,
	lockRow:          " FOR UPDATE",
	isolation:        sql.LevelReadCommitted,
	schema:           mysqlSchema{},
	transactionalDDL: false,
	prepare:          true,
}

var pgUpsert, pgCreate = onConflict("strpos")

// postgresDialect is the dialect of PostgreSQL through pgx. ON CONFLICT
// never raises a unique violation, which would fill the server's log: an
// INSERT of a key that a concurrent statement inserts waits for it and then
// takes the DO UPDATE branch.
var postgresDialect = dialect{
	name:             namePostgres,
	product:          "PostgreSQL",
	bind:             sqlx.DOLLAR,
	upsert:           pgUpsert,
	create:           pgCreate,
	createNows:       1,
	lockRow:          " FOR UPDATE",
	schema:           postgresSchema{},
	transactionalDDL: true,
}

// statements are a dialect's statements for one table, ready to run.
type statements struct {
	table  string
	get    string // args: cfid, name
	upsert string // args: cfid, name, expires, data, rev
	create string // args: cfid, name, expires, data, rev, now (see dialect.create)
	// cas is Write with a rev: it replaces the live row whose rev column
	// and envelope both hold the rev expected (see rowRev). casData is
	// the same for a row without a rev, which it matches by the rev column
	// and data as read (see writeLegacy).
	cas           string // args: expires, data, rev, cfid, name, expected rev, len(prefix), prefix, now
	casData       string // args: expires, data, rev, cfid, name, rev read, data read, now
	delete        string // args: cfid, name
	list          string // args: name, after, now, limit
	count         string // args: name, now
	selectExpired string // args: now, limit
}

func (d dialect) statements(table string) statements {
	q := func(format string) string {
		return sqlx.Rebind(d.bind, fmt.Sprintf(format, table))
	}
	// substr(x, 1, n) is the first n characters in all three databases;
	// not LIKE, which SQLite compares without case.
	const cas = `UPDATE %[1]s SET expires = ?, data = ?, prev_revs = ` + prevRevs + `, rev = ?
		WHERE cfid = ? AND name = ? AND rev = ?`
	return statements{
		table:   table,
		get:     q(`SELECT expires, data, rev, prev_revs FROM %[1]s WHERE cfid = ? AND name = ?`),
		upsert:  q(d.upsert),
		create:  q(d.create),
		cas:     q(cas + ` AND substr(data, 1, ?) = ? AND expires > ?`),
		casData: q(cas + ` AND data = ? AND expires > ?`),
		delete:  q(`DELETE FROM %[1]s WHERE cfid = ? AND name = ?`),
		// The (name, cfid) index yields the rows in order; expires is
		// checked on the rows it yields.
		list:  q(`SELECT cfid, data, rev FROM %[1]s WHERE name = ? AND cfid > ? AND expires > ? ORDER BY cfid LIMIT ?`),
		count: q(`SELECT COUNT(*) FROM %[1]s WHERE name = ? AND expires > ?`), // its cost: see Count
		// DeleteExpired reads the keys of the expired rows through the
		// expires index, oldest first, locking them (FOR UPDATE; SQLite's
		// transaction holds the write lock), then deletes them in chunks
		// (see deleteKeys), so that it knows exactly which scopes it deleted.
		selectExpired: q(`SELECT cfid, name FROM %[1]s WHERE expires <= ? ORDER BY expires LIMIT ?` + d.lockRow),
	}
}
