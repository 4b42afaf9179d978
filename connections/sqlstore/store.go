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

// The Lucee table of each scope kind.
const (
	sessionTable = "cf_session_data"
	clientTable  = "cf_client_data"
)

// tables lists the scope tables, in the order Plan and Migrate take them.
var tables = []string{sessionTable, clientTable}

// Store keeps scopes in the cf_session_data and cf_client_data tables of a
// database. It is safe for concurrent use.
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
	// session and client hold the statements of each kind's table.
	session, client statements
	// addr is the server's address for messages, "" for SQLite.
	addr string
	// locks names the database locks of this database (see locks.go).
	locks lockNames
	// init brings the tables up to date on first use (see ready.go).
	init readiness
	// lockInit creates the lock tables on first use (lock_tables.go).
	lockInit lockInit
	log      *slog.Logger
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
		session: d.statements(sessionTable),
		client:  d.statements(clientTable),
		log:     slog.Default().With("store", "sqlstore", "dialect", d.name),
	}
	s.init.ctx, s.init.cancel = context.WithCancel(context.Background())
	return s
}

// table returns the statements of the table that holds scopes of kind k.
func (s *Store) table(k scopes.Kind) (*statements, error) {
	switch k {
	case scopes.Session:
		return &s.session, nil
	case scopes.Client:
		return &s.client, nil
	}
	return nil, scopes.Errorf(scopes.EInvalid, "unknown scope kind %q: it is session or client", k)
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
	var err error
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
