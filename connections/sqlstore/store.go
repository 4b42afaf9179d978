package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/scopestore/scopestore/scopes"
)

// The table of each scope kind: Lucee's two for the visitors' scopes, and
// two in their layout for the shared scopes, which Lucee keeps in memory
// only, so that the same statements serve all four.
const (
	sessionTable     = "cf_session_data"
	clientTable      = "cf_client_data"
	applicationTable = "cf_application_data"
	serverTable      = "cf_server_data"
)

// kindTables are the kinds that the store keeps and their tables, in the
// order Plan, Migrate and DeleteExpired take them: Lucee's first.
var kindTables = []struct {
	kind  scopes.Kind
	table string
}{
	{scopes.Session, sessionTable},
	{scopes.Client, clientTable},
	{scopes.Application, applicationTable},
	{scopes.Server, serverTable},
}

// tables lists the scope tables, in the order of kindTables.
var tables = func() []string {
	out := make([]string, len(kindTables))
	for i, kt := range kindTables {
		out[i] = kt.table
	}
	return out
}()

// Store keeps scopes in the cf_session_data, cf_client_data,
// cf_application_data and cf_server_data tables of a database. It is safe
// for concurrent use.
type Store struct {
	// writer runs every write and the reads by which Write learns what it
	// met; reader runs Load and List. On SQLite they are separate pools
	// (see OpenSQLite); elsewhere they are the same pool.
	writer *sqlx.DB
	reader *sqlx.DB
	// admin runs Migrate, and inspect runs Plan and Tables, whose statements
	// may take longer than a request should (see OpenMySQL). On SQLite admin
	// is the writer and inspect the reader.
	admin, inspect *sqlx.DB
	d              dialect
	// byKind holds the statements of each kind's table (see kindTables).
	byKind map[scopes.Kind]*statements
	// addr is the server's address for messages, "" for SQLite.
	addr string
	// locks names the database locks of this database (see locks.go).
	locks lockNames
	// init brings Lucee's two tables up to date on first use, and shared
	// the shared scopes' tables on theirs (see ready.go).
	init, shared readiness
	// lockInit creates the lock tables on first use (lock_tables.go).
	lockInit lockInit
	// stmts holds the statements of Load and Write prepared on the
	// server, where the dialect prepares them (see prepared.go).
	stmts preparedStmts
	log   *slog.Logger
}

var (
	_ scopes.Store    = (*Store)(nil)
	_ scopes.Verifier = (*Store)(nil)
)

func newStore(d dialect, writer, reader *sqlx.DB) *Store {
	s := &Store{
		writer:  writer,
		reader:  reader,
		admin:   writer,
		inspect: reader,
		d:       d,
		byKind:  make(map[scopes.Kind]*statements, len(kindTables)),
		log:     slog.Default().With("store", "sqlstore", "dialect", d.name),
	}
	s.stmts.off = !d.prepare
	for _, kt := range kindTables {
		st := d.statements(kt.table)
		s.byKind[kt.kind] = &st
	}
	for _, r := range []*readiness{&s.init, &s.shared} {
		r.ctx, r.cancel = context.WithCancel(context.Background())
	}
	s.init.tables, s.init.what = []string{sessionTable, clientTable}, "scope tables"
	s.shared.tables, s.shared.what = []string{applicationTable, serverTable}, "shared scope tables"
	return s
}

// table returns the statements of the table that holds scopes of kind k.
func (s *Store) table(k scopes.Kind) (*statements, error) {
	if st, ok := s.byKind[k]; ok {
		return st, nil
	}
	return nil, scopes.Errorf(scopes.EInvalid, "unknown scope kind %q: it is session, client, application or server", k)
}

// Ping checks that the database answers and holds the scope tables,
// bringing them up to date first if no call has done so yet.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	var n int
	err := s.reader.GetContext(ctx, &n, `SELECT COUNT(*) FROM (SELECT 1 FROM `+sessionTable+` LIMIT 1) t`)
	if err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	return nil
}

// Close stops a preparation of the tables under way and closes the
// database connections.
func (s *Store) Close() error {
	s.init.stop()
	s.shared.stop()
	err := s.stmts.close()
	closed := map[*sqlx.DB]bool{}
	for _, db := range []*sqlx.DB{s.reader, s.writer, s.admin, s.inspect} {
		if !closed[db] {
			closed[db] = true
			err = errors.Join(err, db.Close())
		}
	}
	if err != nil {
		return fmt.Errorf("sqlstore: close: %w", err)
	}
	return nil
}

// row is a scope's row as Load and Write read it.
type row struct {
	Expires string `db:"expires"`
	Data    []byte `db:"data"`
	// Rev is the rev of the last write, "" in a row written by Lucee or
	// before the column existed (see rowRev).
	Rev string `db:"rev"`
	// PrevRevs are the revs of the writes before, newest first, separated
	// by spaces, by which a write sent again is recognised (see seen).
	PrevRevs string `db:"prev_revs"`
}

// holds reports whether the row holds the write whose rev is rev: it is
// the row's, or among the writes before it that the row remembers.
func (r row) holds(rev string) bool {
	return r.Rev == rev || slices.Contains(strings.Fields(r.PrevRevs), rev)
}

// encode returns the record as the store writes it and the row's values.
// Times are kept in milliseconds, so the record returned is cut to them.
func encode(rec scopes.Record) (scopes.Record, string, string) {
	rec.TimeCreated = time.UnixMilli(rec.TimeCreated.UnixMilli())
	rec.LastVisit = time.UnixMilli(rec.LastVisit.UnixMilli())
	rec.Expires = time.UnixMilli(rec.Expires.UnixMilli())
	data := scopes.EncodeRecord(rec)
	if len(rec.Data) == 0 {
		rec.Data = []byte("{}")
	}
	// data is bound as a string: SQLite would store []byte as a BLOB, which
	// Lucee's statements and text comparisons do not expect.
	return rec, millis(rec.Expires), string(data)
}
