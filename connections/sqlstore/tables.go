package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// envelopePrefix opens every value that scopes.EncodeRecord writes. Tables
// counts the rows whose data does not open with it as undecodable (rows that
// Lucee wrote, say), in SQL, without reading them out.
const envelopePrefix = `{"v":1,`

// querier runs statements: a pool, a connection or a transaction.
type querier interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

// maxMigratePasses bounds how often Migrate plans a table again after
// taking the steps it planned; the second pass normally finds nothing.
const maxMigratePasses = 3

// Step is one change that Migrate makes to a scope table.
type Step struct {
	Table string
	// Action says what the step does, in words.
	Action string
	// SQL is the statement the step runs.
	SQL string
	// Rows is how many rows the step deletes: planned by Plan, deleted by
	// Migrate. Only the removal of duplicate rows deletes any.
	Rows int64

	// run runs a step that is more than its SQL; nil runs SQL.
	run func(ctx context.Context, q querier) (int64, error)
}

// String returns the step as a line for logs and the command line.
func (s Step) String() string {
	return s.Table + ": " + s.Action + "\n    " + s.SQL
}

// apply runs the step and returns how many rows it deleted.
func (s Step) apply(ctx context.Context, q querier) (int64, error) {
	if s.run != nil {
		return s.run(ctx, q)
	}
	res, err := q.ExecContext(ctx, s.SQL)
	if err != nil {
		return 0, err
	}
	if s.Rows == 0 {
		// DDL: what it reports as affected rows means nothing here.
		return 0, nil
	}
	return res.RowsAffected()
}

// TableStatus is the state of one scope table, for the admin.
type TableStatus struct {
	Table  string
	Exists bool
	// Engine is the MySQL storage engine ("InnoDB"); "" elsewhere.
	Engine string
	// PrimaryKey lists the primary key's columns; none when the table has
	// no primary key, as Lucee creates it on MySQL.
	PrimaryKey []string
	// Keyed tells whether a primary key or unique index on (cfid, name)
	// keeps one row per scope, which Write relies on.
	Keyed bool
	// RevColumns tells whether the table has the columns rev and
	// prev_revs, on which Write compares and sets and by which it knows a
	// write sent again (Lucee's tables have neither until Migrate adds
	// them).
	RevColumns bool
	// DataType is the type of the data column as the database names it
	// ("longtext", "text").
	DataType string
	// ExpiresIndex and NameIndex tell whether the cleaner's index on
	// expires and List's index on (name, cfid) are there.
	ExpiresIndex, NameIndex bool
	// Rows counts the rows, Expired those expired now.
	Rows, Expired int64
	// Duplicates counts the rows beyond the first of each (cfid, name), which
	// only a table without a key can hold.
	Duplicates int64
	// Undecodable counts the rows whose data is not in scopestore's format
	// (rows that Lucee wrote, in Base64 Java serialization): Load reports
	// each as corrupt, List skips it, and the cleaner deletes it once it
	// expires. Migrate never deletes one for that reason.
	Undecodable int64
	// Plan lists the steps Migrate would take.
	Plan []Step
}

// tableInfo is what the database says about a scope table.
type tableInfo struct {
	exists bool
	// engine is MySQL's storage engine.
	engine string
	// columns maps the lower-cased column names to their types.
	columns map[string]columnInfo
	indexes []indexInfo
	// duplicates is counted by planTable when the table has no key.
	duplicates int64
}

type columnInfo struct {
	// typ is the type as the database reports it: "longtext", "text",
	// "character varying(255)".
	typ       string
	charset   string
	collation string
}

type indexInfo struct {
	name            string
	primary, unique bool
	// constraint tells that the index belongs to a constraint, which
	// PostgreSQL drops with ALTER TABLE … DROP CONSTRAINT; an SQLite index
	// that a table constraint made cannot be dropped at all.
	constraint bool
	columns    []string
}

// hasRevColumns reports whether the table has every column of revColumns.
func (t tableInfo) hasRevColumns() bool {
	for _, c := range revColumns {
		if _, ok := t.columns[c.name]; !ok {
			return false
		}
	}
	return true
}

// primaryKey returns the primary key's columns.
func (t tableInfo) primaryKey() []string {
	for _, ix := range t.indexes {
		if ix.primary {
			return ix.columns
		}
	}
	return nil
}

// keyed reports whether a primary key or unique index covers exactly cfid
// and name, in either order: what ON DUPLICATE KEY and ON CONFLICT
// (cfid, name) need.
func (t tableInfo) keyed() bool {
	for _, ix := range t.indexes {
		if (ix.primary || ix.unique) && sameColumns(ix.columns, "cfid", "name") {
			return true
		}
	}
	return false
}

// indexed reports whether an index starts with the columns cols.
func (t tableInfo) indexed(cols ...string) bool {
	for _, ix := range t.indexes {
		if len(ix.columns) >= len(cols) && slices.Equal(ix.columns[:len(cols)], cols) {
			return true
		}
	}
	return false
}

// sameColumns reports whether cols holds exactly the columns want, in any order.
func sameColumns(cols []string, want ...string) bool {
	if len(cols) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.Contains(cols, w) {
			return false
		}
	}
	return true
}

// schemaDialect is what Plan and Migrate need of a dialect: how to read a
// table's layout and the statements that change it.
type schemaDialect interface {
	// inspect reads table's layout; exists is false when there is no table.
	inspect(ctx context.Context, q querier, table string) (tableInfo, error)
	// create returns the steps that create table as scopestore lays it out.
	create(table string) []Step
	// columns returns the steps that bring an existing table's engine and
	// column types to scopestore's layout.
	columns(table string, info tableInfo) []Step
	// column returns the definition of a column of revColumns, for CREATE
	// TABLE and ALTER TABLE … ADD COLUMN.
	column(name string, width int) string
	// countDuplicates counts the rows beyond the first of each (cfid, name),
	// compared as they will be once the columns steps ran.
	countDuplicates(ctx context.Context, q querier, table string) (int64, error)
	// dedupe returns the step that deletes those rows, keeping of each
	// (cfid, name) exactly one row with the newest expires.
	dedupe(table string, n int64) Step
	// addKey returns the step that adds the key on (cfid, name): the
	// primary key when the table has none.
	addKey(table string, info tableInfo) Step
	// dropIndex returns the step that drops an index, ok false when the
	// dialect cannot drop it.
	dropIndex(table string, ix indexInfo) (step Step, ok bool)
	// addIndex returns the step that creates a plain index.
	addIndex(table, name string, cols ...string) Step
}

// requiredColumns are the columns Lucee's tables and scopestore's share.
var requiredColumns = []string{"expires", "cfid", "name", "data"}

// revColumns are the columns that Write needs beside Lucee's four, in the
// order the tables have them. Both are VARCHAR NOT NULL with the empty
// string as their default, so that Lucee's INSERT, which names only its
// four columns, still works.
var revColumns = []struct {
	name    string
	width   int
	purpose string
}{
	{"rev", maxRevLen, "on which writes compare and set"},
	{"prev_revs", 255, "by which a write sent again is recognised"}, // see prevRevs
}

// revColumnsDDL returns the definitions of revColumns for CREATE TABLE,
// each on a line that ends with a comma.
func revColumnsDDL(sd schemaDialect) string {
	var b strings.Builder
	for _, c := range revColumns {
		b.WriteString("    " + sd.column(c.name, c.width) + ",\n")
	}
	return b.String()
}

// planTable reads table's layout and returns the steps that bring it to
// scopestore's, in the order they must run:
//
//  1. a missing table is created, with its key and indexes;
//  2. MySQL only: a table of another engine (MyISAM) becomes InnoDB, whose
//     row locks DeleteExpired needs; cfid and name become case-sensitive
//     (utf8mb4_bin), as cfids and app names are, and data becomes
//     LONGTEXT utf8mb4, which holds any scope (TEXT stops at 64 KiB);
//  3. the columns rev and prev_revs are added (see revColumns), each in a
//     step of its own: the rows that Lucee and earlier versions of
//     scopestore wrote have an empty rev (see rowRev);
//  4. without a key on (cfid, name), duplicate rows are deleted, keeping of
//     each (cfid, name) exactly one row with the newest expires (after step
//     2, so that rows whose cfids differ only in case stay apart), and the
//     primary key is added (a unique index when the table has another
//     primary key, or on SQLite, which cannot add one);
//  5. Lucee's unique index on (cfid, name, expires) is dropped: the key
//     implies it, and each write, which moves expires, would update it too;
//  6. the index on expires (the cleaner's) and on (name, cfid) (List's) are
//     added when no index starts with those columns; Lucee's own index on
//     expires serves.
//
// Nothing else is changed: extra columns, other indexes and rows whose data
// is not scopestore's stay as they are. A table that has what a step adds
// does not plan it, so that Migrate is idempotent.
func (s *Store) planTable(ctx context.Context, q querier, table string) ([]Step, tableInfo, error) {
	sd := s.d.schema
	info, err := sd.inspect(ctx, q, table)
	if err != nil {
		return nil, info, fmt.Errorf("inspect %s: %w", table, err)
	}
	if !info.exists {
		return sd.create(table), info, nil
	}
	var missing []string
	for _, c := range requiredColumns {
		if _, ok := info.columns[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, info, fmt.Errorf("table %s exists but has no column %s: it is not a scope table of Lucee's or scopestore's; rename it or use another database",
			table, strings.Join(missing, ", "))
	}

	steps := sd.columns(table, info)
	for _, c := range revColumns {
		if _, ok := info.columns[c.name]; !ok {
			steps = append(steps, Step{Table: table, Action: "add the " + c.name + " column, " + c.purpose,
				SQL: "ALTER TABLE " + table + " ADD COLUMN " + sd.column(c.name, c.width)})
		}
	}
	if !info.keyed() {
		n, err := sd.countDuplicates(ctx, q, table)
		if err != nil {
			return nil, info, fmt.Errorf("count duplicate rows of %s: %w", table, err)
		}
		info.duplicates = n
		if n > 0 {
			steps = append(steps, sd.dedupe(table, n))
		}
		steps = append(steps, sd.addKey(table, info))
	}
	for _, ix := range info.indexes {
		if ix.unique && !ix.primary && sameColumns(ix.columns, "cfid", "name", "expires") {
			if step, ok := sd.dropIndex(table, ix); ok {
				steps = append(steps, step)
			}
		}
	}
	if !info.indexed("expires") {
		steps = append(steps, sd.addIndex(table, table+"_expires", "expires"))
	}
	if !info.indexed("name", "cfid") {
		steps = append(steps, sd.addIndex(table, table+"_name_cfid", "name", "cfid"))
	}
	return steps, info, nil
}

// Plan returns the steps that Migrate would take to create the scope tables
// or bring tables that Lucee created to scopestore's layout; none when they
// are up to date. It changes nothing.
func (s *Store) Plan(ctx context.Context) ([]Step, error) {
	var out []Step
	for _, table := range tables {
		steps, _, err := s.planTable(ctx, s.inspect, table)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: plan: %w", err)
		}
		out = append(out, steps...)
	}
	return out, nil
}

// Migrate creates the scope tables or brings them to scopestore's layout
// (see planTable), logging each step, and returns the steps it took. With
// dryRun it changes nothing and returns the steps it would take, as Plan.
//
// The first use of a store runs it (see ready.go). One instance at a time
// migrates: the others wait for its database lock and then find nothing
// left to do. On MySQL each step commits on its own, so a failure leaves
// the steps before it done, and the next Migrate plans the rest; on
// PostgreSQL and SQLite all steps run in one transaction, and a failure
// leaves the tables as they were. Migrate never deletes a row but the
// duplicates it names.
func (s *Store) Migrate(ctx context.Context, dryRun bool) ([]Step, error) {
	if dryRun {
		return s.Plan(ctx)
	}
	return s.migrate(ctx, tables)
}

// migrate is Migrate of the tables named.
func (s *Store) migrate(ctx context.Context, tables []string) ([]Step, error) {
	conn, err := s.admin.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: connect: %w", err)
	}
	defer conn.Close()
	if _, err := s.lock(ctx, conn, lockMigrate, true); err != nil {
		discard(conn)
		return nil, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer s.unlock(conn, lockMigrate)

	var q querier = conn
	var tx *sqlx.Tx
	if s.d.transactionalDDL {
		if tx, err = conn.BeginTxx(ctx, nil); err != nil {
			return nil, fmt.Errorf("sqlstore: migrate: begin: %w", err)
		}
		defer func() { _ = tx.Rollback() }()
		q = tx
	}
	var done []Step
	for _, table := range tables {
		// Planned under the lock: another instance may have migrated while
		// this one waited. Planned again after the steps ran, until nothing
		// is left: a Lucee instance may create the table between the plan
		// and CREATE TABLE IF NOT EXISTS, which then leaves Lucee's table
		// for a second pass to fix.
		for pass := 1; ; pass++ {
			steps, _, err := s.planTable(ctx, q, table)
			if err != nil {
				return s.applied(done, tx), fmt.Errorf("sqlstore: migrate: %w", err)
			}
			if len(steps) == 0 {
				break
			}
			if pass > maxMigratePasses {
				return s.applied(done, tx), fmt.Errorf("sqlstore: migrate %s: still %d steps to take after %d passes; is another program changing the table?",
					table, len(steps), maxMigratePasses)
			}
			for _, step := range steps {
				start := time.Now()
				s.log.InfoContext(ctx, "sqlstore: migrating a scope table", "table", step.Table, "step", step.Action, "sql", oneLine(step.SQL))
				n, err := step.apply(ctx, q)
				if err != nil {
					return s.applied(done, tx), fmt.Errorf("sqlstore: migrate %s: %s: %w", step.Table, step.Action, err)
				}
				step.Rows = n
				s.log.InfoContext(ctx, "sqlstore: migrated a scope table", "table", step.Table, "step", step.Action,
					"rows", n, "duration", time.Since(start).Round(time.Millisecond))
				done = append(done, step)
			}
		}
	}
	if tx != nil {
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("sqlstore: migrate: commit: %w", err)
		}
	}
	if len(done) > 0 {
		s.reportUndecodable(ctx, conn, tables)
	}
	return done, nil
}

// oneLine folds a statement onto one line for the log.
func oneLine(sql string) string { return strings.Join(strings.Fields(sql), " ") }

// applied returns the steps that a failed migration leaves done: none when
// they ran in a transaction, which the failure rolls back.
func (s *Store) applied(done []Step, tx *sqlx.Tx) []Step {
	if tx != nil {
		return nil
	}
	return done
}

// reportUndecodable logs, after a migration, how many rows of each table
// are not in scopestore's format. They stay: Load reports each as corrupt
// and the cleaner deletes them once they expire.
func (s *Store) reportUndecodable(ctx context.Context, q querier, tables []string) {
	for _, table := range tables {
		c, err := s.count(ctx, q, table, time.Now())
		if err != nil {
			s.log.WarnContext(ctx, "sqlstore: cannot count the rows of a migrated table", "table", table, "err", err)
			continue
		}
		if c.undecodable > 0 {
			s.log.WarnContext(ctx, "sqlstore: rows not in scopestore's format (written by Lucee?) stay in the table; "+
				"loading one reports it as corrupt, and the cleaner deletes each once it expires",
				"table", table, "rows", c.undecodable)
		}
	}
}

// counts are a table's row counts.
type counts struct {
	rows, expired, undecodable int64
}

// count counts a table's rows, those expired at now and those whose data is
// not an envelope, in one scan.
func (s *Store) count(ctx context.Context, q querier, table string, now time.Time) (counts, error) {
	var c counts
	query := sqlx.Rebind(s.d.bind, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN expires <= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN data NOT LIKE ? THEN 1 ELSE 0 END), 0)
		FROM `+table)
	err := q.QueryRowxContext(ctx, query, millis(now), envelopePrefix+"%").Scan(&c.rows, &c.expired, &c.undecodable)
	return c, err
}

// Tables reports the state of each scope table: whether it exists, its key,
// data type, rev columns and indexes, its rows, expired rows, duplicate and undecodable
// rows, and the steps Migrate would take. Counting reads the whole table.
func (s *Store) Tables(ctx context.Context) ([]TableStatus, error) {
	now := time.Now()
	out := make([]TableStatus, 0, len(tables))
	for _, table := range tables {
		steps, info, err := s.planTable(ctx, s.inspect, table)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: tables: %w", err)
		}
		st := TableStatus{Table: table, Exists: info.exists, Plan: steps}
		if info.exists {
			st.Engine = info.engine
			st.PrimaryKey = info.primaryKey()
			st.Keyed = info.keyed()
			st.RevColumns = info.hasRevColumns()
			st.DataType = info.columns["data"].typ
			st.ExpiresIndex = info.indexed("expires")
			st.NameIndex = info.indexed("name", "cfid")
			st.Duplicates = info.duplicates
			c, err := s.count(ctx, s.inspect, table, now)
			if err != nil {
				return nil, fmt.Errorf("sqlstore: tables: count the rows of %s: %w", table, err)
			}
			st.Rows, st.Expired, st.Undecodable = c.rows, c.expired, c.undecodable
		}
		out = append(out, st)
	}
	return out, nil
}
