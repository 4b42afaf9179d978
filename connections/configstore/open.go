// Package configstore keeps scopestore's own configuration (server settings,
// apps, API key hashes and connections) and the admin console's users,
// sessions and audit log in SQL: SQLite under the data directory by default,
// or MySQL/MariaDB or PostgreSQL so that several instances share it. It
// implements scopes.ConfigStore and scopes.AdminStore.
package configstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/scopestore/scopestore/migrations"
	"github.com/scopestore/scopestore/scopes"
)

// The dialects Dialect returns.
const (
	DialectSQLite   = "sqlite"
	DialectMySQL    = "mysql"
	DialectPostgres = "postgres"
)

// FileName is the SQLite file that holds the configuration when no DSN is
// given, inside the data directory.
const FileName = "config.db"

// lockTable is the table in which goose's MySQL locker keeps its lock row;
// named after the version table so that it is clearly scopestore's.
const lockTable = "scopestore_config_lock"

// lockID identifies the config store's migration lock, distinct from goose's
// default so that another goose user of the same database (the scope tables'
// migrations, say) never waits on it.
var lockID = int64(crc32.ChecksumIEEE([]byte(migrations.ConfigVersionTable)))

// Store is scopestore's configuration in an SQL database. It is safe for
// concurrent use.
type Store struct {
	db      *sqlx.DB
	dialect string
	bind    int
	// secrets seals connection passwords; nil when no secret key was given.
	secrets *secretBox
}

var (
	_ scopes.ConfigStore = (*Store)(nil)
	_ scopes.AdminStore  = (*Store)(nil)
)

// Open connects to the config database named by dsn, creates or migrates
// its tables, and returns the store. dsn is one of
//
//	""                          SQLite at <dataDir>/config.db
//	sqlite://PATH               SQLite at PATH
//	mysql://<go-sql-driver DSN> MySQL or MariaDB, e.g. mysql://user:pass@tcp(host:3306)/scopestore
//	postgres://… postgresql://… PostgreSQL, as pgx reads it
//
// secretKey is the 32-byte AES-256 key that encrypts connection passwords;
// it may be empty when no connection has a password. previousKeys, keys
// used before it, still decrypt the passwords they encrypted (see Rekey).
func Open(ctx context.Context, dsn, dataDir string, secretKey []byte, previousKeys ...[]byte) (*Store, error) {
	secrets, err := newSecretBox(secretKey, previousKeys...)
	if err != nil {
		return nil, err
	}
	s := &Store{secrets: secrets}
	switch {
	case dsn == "":
		if dataDir == "" {
			return nil, errors.New("configstore: no config DSN and no data directory: one of them is required")
		}
		s.db, err = openSQLite(filepath.Join(dataDir, FileName))
		s.dialect = DialectSQLite
	case strings.HasPrefix(dsn, "sqlite://"):
		s.db, err = openSQLite(strings.TrimPrefix(dsn, "sqlite://"))
		s.dialect = DialectSQLite
	case strings.HasPrefix(dsn, "mysql://"):
		s.db, err = openMySQL(strings.TrimPrefix(dsn, "mysql://"))
		s.dialect = DialectMySQL
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s.db, err = sqlx.Open("pgx", dsn)
		s.dialect = DialectPostgres
	default:
		return nil, fmt.Errorf("configstore: unknown config DSN %q: write it as sqlite://PATH, "+
			"mysql://user:password@tcp(host:3306)/database, postgres://user:password@host:5432/database, "+
			"or leave it empty for SQLite in the data directory", redact(dsn))
	}
	if err != nil {
		return nil, err
	}
	if s.dialect == DialectPostgres {
		s.bind = sqlx.DOLLAR
	} else {
		s.bind = sqlx.QUESTION
	}
	if err := s.db.PingContext(ctx); err != nil {
		_ = s.db.Close()
		return nil, s.wrap("connect to "+s.dialect, err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		_ = s.db.Close()
		return nil, err
	}
	return s, nil
}

// openSQLite opens the SQLite file at path, creating it and its directory.
func openSQLite(path string) (*sqlx.DB, error) {
	if path == "" {
		return nil, errors.New("configstore: sqlite:// names no file: write sqlite:///path/to/config.db")
	}
	if strings.ContainsRune(path, '?') {
		// The driver reads its options after a '?', and the store sets them.
		return nil, fmt.Errorf("configstore: sqlite://%s: write the path of the file alone, without options", path)
	}
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("configstore: create the directory of %s: %w", path, err)
		}
		// Create the file ourselves so that it is readable by its owner only:
		// it holds key hashes and encrypted passwords.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("configstore: open %s: %w", path, err)
		}
		_ = f.Close()
	}
	// WAL lets readers run beside the writer; synchronous FULL makes a
	// committed admin change survive a power cut; busy_timeout makes another
	// process (the CLI beside the server) wait for the lock instead of
	// failing; _txlock=immediate takes the write lock at BEGIN, so that a
	// transaction that reads before it writes cannot fail to upgrade its
	// lock; _time_format and _texttotime round-trip time.Time through
	// DATETIME columns.
	q := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=foreign_keys(1)&_txlock=immediate&_time_format=sqlite&_texttotime=1"
	db, err := sqlx.Open("sqlite", path+q)
	if err != nil {
		return nil, fmt.Errorf("configstore: open %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and a single connection
	// never meets SQLITE_BUSY from itself.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// openMySQL opens a go-sql-driver DSN, adding the options the store relies on.
func openMySQL(dsn string) (*sqlx.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("configstore: mysql:// takes a go-sql-driver DSN such as "+
			"mysql://user:password@tcp(host:3306)/scopestore: %w", err)
	}
	if cfg.DBName == "" {
		return nil, errors.New("configstore: the MySQL DSN names no database: write mysql://user:password@tcp(host:3306)/scopestore")
	}
	// DATETIME columns scan into time.Time only with parseTime.
	cfg.ParseTime = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	// Strict mode makes MySQL reject a value that does not fit instead of
	// truncating it with a warning, as SQLite's checks and PostgreSQL do.
	if _, ok := cfg.Params["sql_mode"]; !ok {
		cfg.Params["sql_mode"] = "'TRADITIONAL'"
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("configstore: mysql: %w", err)
	}
	db := sqlx.NewDb(sql.OpenDB(connector), "mysql")
	// Servers close idle connections after wait_timeout; retire ours first.
	db.SetConnMaxLifetime(3 * time.Minute)
	return db, nil
}

// redact hides the password in a DSN written as a URL, for error messages.
func redact(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return dsn
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return dsn
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// Migrate applies the config store's pending migrations, logging each, and
// returns the names of those it applied. Open calls it; it is safe to call
// again, and two instances that call it together apply each migration once:
// on PostgreSQL they take an advisory lock, on MySQL goose's lock table.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	fsys, err := migrations.ConfigFS(s.dialect)
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{
		goose.WithTableName(migrations.ConfigVersionTable),
		// Go migrations registered globally by other packages belong to
		// other schemas.
		goose.WithDisableGlobalRegistry(true),
	}
	var dialect goose.Dialect
	switch s.dialect {
	case DialectSQLite:
		// SQLite's single writer serializes two migrating processes.
		dialect = goose.DialectSQLite3
	case DialectMySQL:
		dialect = goose.DialectMySQL
		// goose v3.29 has no MySQL session locker; its table locker works on
		// every MySQL flavour, including clusters where GET_LOCK is per node.
		l, err := lock.NewMySQLTableLocker(
			lock.WithTableName(lockTable),
			lock.WithTableLockID(lockID),
			lock.WithTableLockTimeout(time.Second, 300),
			lock.WithTableLogger(slog.Default()),
		)
		if err != nil {
			return nil, fmt.Errorf("configstore: migrate: %w", err)
		}
		opts = append(opts, goose.WithLocker(l))
	case DialectPostgres:
		dialect = goose.DialectPostgres
		l, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("configstore: migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(l))
	}
	p, err := goose.NewProvider(dialect, s.db.DB, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("configstore: migrate: %w", err)
	}
	results, err := p.Up(ctx)
	var applied []string
	var partial *goose.PartialError
	if errors.As(err, &partial) {
		results = partial.Applied
	}
	for _, r := range results {
		name := filepath.Base(r.Source.Path)
		applied = append(applied, name)
		slog.InfoContext(ctx, "config store migration applied", "dialect", s.dialect,
			"migration", name, "version", r.Source.Version, "duration", r.Duration)
	}
	if err != nil {
		return applied, s.wrap("migrate", err)
	}
	return applied, nil
}

// Dialect returns the SQL dialect of the config database: "sqlite", "mysql"
// or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the config database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		// Whatever the cause, a config database that does not answer a
		// ping is unavailable to this instance.
		return scopes.Unavailable("the config database", fmt.Errorf("configstore: ping: %w", err))
	}
	return nil
}

// Close closes the database connections.
func (s *Store) Close() error {
	return s.db.Close()
}

// q rewrites a query's ? placeholders for the dialect.
func (s *Store) q(query string) string {
	return sqlx.Rebind(s.bind, query)
}

// wrap adds the operation to a database error, and marks the errors that
// mean the database is out of reach as EUnavailable, so that the API answers
// 503 "try again" rather than 500.
func (s *Store) wrap(op string, err error) error {
	var se *scopes.Error
	if errors.As(err, &se) {
		// Already a message for the user, such as a conflict.
		return err
	}
	err = fmt.Errorf("configstore: %s: %w", op, err)
	if unreachable(err) {
		return scopes.Unavailable("the config database", err)
	}
	return err
}

// unreachable reports whether err means that the database could not be
// reached or was too busy to answer, rather than that the statement failed.
func unreachable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var netErr net.Error
	var pgConnect *pgconn.ConnectError
	if errors.As(err, &netErr) || errors.As(err, &pgConnect) || pgconn.Timeout(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 is connection exceptions, 53 insufficient resources,
		// 57P01-03 a server shutting down or not yet up.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "53") ||
			strings.HasPrefix(pgErr.Code, "57P0")
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case 1040, 1203, 1205, 1213: // too many connections, lock wait timeout, deadlock
			return true
		}
		return false
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
			return true
		}
	}
	return false
}

// checkName rejects a name that the dialects would store or compare
// differently: empty, longer than the 64 characters of the name columns
// (SQLite would keep it, MySQL and PostgreSQL refuse it), not UTF-8 text, or
// with spaces around it (MySQL ignores trailing spaces in comparisons).
func checkName(what, name string) error {
	switch {
	case name == "":
		return scopes.Errorf(scopes.EInvalid, "a %s name is required", what)
	case !utf8.ValidString(name) || strings.ContainsRune(name, 0):
		return scopes.Errorf(scopes.EInvalid, "the %s name %q is not valid UTF-8 text", what, name)
	case strings.TrimSpace(name) != name:
		return scopes.Errorf(scopes.EInvalid, "the %s name %q begins or ends with a space", what, name)
	case utf8.RuneCountInString(name) > 64:
		return scopes.Errorf(scopes.EInvalid, "the %s name %q is longer than 64 characters", what, name)
	}
	return nil
}

// storable reports whether CreateApp or CreateConnection would accept the
// name. Lookups answer "not found" for any other name without asking the
// database, so that MySQL, which ignores trailing spaces when it compares,
// finds no more than SQLite and PostgreSQL do.
func storable(name string) bool { return checkName("", name) == nil }

// dbTime returns t as the store keeps it: UTC, to the microsecond, the
// precision of MySQL's DATETIME(6) and PostgreSQL's TIMESTAMPTZ, so that
// every dialect gives back the same time.
func dbTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}
