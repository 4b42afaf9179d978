package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// The bare servers: the baselines, each an echo server with the API's routes
// for the same exchange, doing the least the job needs and nothing else: no
// auth, no validation, no versions, no built-ins.
const (
	bareMemory       = "bare-memory"
	bareRedis        = "bare-redis"
	bareRedisCluster = "bare-redis-cluster"
	luceeSQL         = "lucee-sql"
)

// bareTimeout is the expiry the bare servers give a stored value.
const bareTimeout = 24 * time.Hour

// bareStore is what a bare server does for a load and a save.
type bareStore interface {
	// load returns the stored bytes, found false when there are none.
	load(ctx context.Context, app, cfid string) ([]byte, bool, error)
	// save stores value.
	save(ctx context.Context, app, cfid string, value []byte) error
	close() error
}

// serveBare runs the bare server cfg.Serve on cfg.Addr until ctx ends.
func serveBare(ctx context.Context, cfg config, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	var st bareStore
	var err error
	switch cfg.Serve {
	case bareMemory:
		st = &memoryBare{m: map[string][]byte{}}
	case bareRedis:
		st, err = newRedisBare(cfg.RedisURL, cfg.Prefix)
	case bareRedisCluster:
		st, err = newRedisClusterBare(cfg.RedisCluster, cfg.Prefix)
	case bareMemcached:
		st, err = newMemcachedBare(cfg.Memcached, cfg.Prefix)
	case floorRedis, floorRedisLocal:
		st, err = newFloorBare(cfg.RedisURL, cfg.Prefix, cfg.Serve == floorRedisLocal)
	case luceeSQL:
		st, err = newLuceeBare(cfg.DSN)
	default:
		return fmt.Errorf("unknown bare server %q: use %s, %s, %s, %s, %s, %s or %s", cfg.Serve, bareMemory, bareRedis, bareRedisCluster, bareMemcached, floorRedis, floorRedisLocal, luceeSQL)
	}
	if err != nil {
		return err
	}
	defer func() { _ = st.close() }()

	return serveHandler(ctx, cfg.Addr, cfg.Serve, bareRoutes(st), logger)
}

// serveHandler serves h on addr until ctx ends, after logging the line in
// which scopebench learns the address (see listening).
func serveHandler(ctx context.Context, addr, name string, h http.Handler, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	logger.Info("scopebench listening", "addr", "http://"+ln.Addr().String(), "server", name)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// bareRoutes are the API's routes for the benchmark's exchange: create,
// load and save a session.
func bareRoutes(st bareStore) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	const sessions = "/api/v1/apps/:app/sessions"
	e.POST(sessions, func(c echo.Context) error {
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		cfid := scopes.NewCFID()
		if err := st.save(c.Request().Context(), c.Param("app"), cfid, body); err != nil {
			return err
		}
		return c.Blob(http.StatusCreated, echo.MIMEApplicationJSON, []byte(`{"cfid":"`+cfid+`"}`))
	})
	e.GET(sessions+"/:cfid", func(c echo.Context) error {
		value, found, err := st.load(c.Request().Context(), c.Param("app"), c.Param("cfid"))
		if err != nil {
			return err
		}
		if !found {
			return echo.ErrNotFound
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, value)
	})
	e.PUT(sessions+"/:cfid", func(c echo.Context) error {
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		if err := st.save(c.Request().Context(), c.Param("app"), c.Param("cfid"), body); err != nil {
			return err
		}
		// The API answers a save with the scope: send the bytes back too.
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
	})
	addLockRoutes(e, st)
	return e
}

// memoryBare keeps the bytes in a map.
type memoryBare struct {
	mu sync.RWMutex
	m  map[string][]byte
}

func (s *memoryBare) load(_ context.Context, app, cfid string) ([]byte, bool, error) {
	s.mu.RLock()
	v, ok := s.m[app+"/"+cfid]
	s.mu.RUnlock()
	return v, ok, nil
}

func (s *memoryBare) save(_ context.Context, app, cfid string, value []byte) error {
	s.mu.Lock()
	s.m[app+"/"+cfid] = value
	s.mu.Unlock()
	return nil
}

func (s *memoryBare) close() error { return nil }

// redisBare does one GET per load and one SET with expiry per save, on a
// standalone Redis or, through go-redis's ClusterClient, on a Redis Cluster.
type redisBare struct {
	client goredis.UniversalClient
	prefix string
}

func newRedisBare(rawURL, prefix string) (*redisBare, error) {
	if prefix == "" {
		return nil, errors.New("-prefix is required: every key must be under the run's prefix")
	}
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return &redisBare{client: goredis.NewClient(opts), prefix: prefix}, nil
}

func newRedisClusterBare(nodes, prefix string) (*redisBare, error) {
	if prefix == "" {
		return nil, errors.New("-prefix is required: every key must be under the run's prefix")
	}
	addrs, err := clusterAddrs(nodes)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errors.New("-redis-cluster is required: the Cluster's nodes, host:port,…")
	}
	return &redisBare{client: goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs}), prefix: prefix}, nil
}

func (s *redisBare) key(app, cfid string) string { return s.prefix + "bare:" + app + ":" + cfid }

func (s *redisBare) load(ctx context.Context, app, cfid string) ([]byte, bool, error) {
	v, err := s.client.Get(ctx, s.key(app, cfid)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (s *redisBare) save(ctx context.Context, app, cfid string, value []byte) error {
	return s.client.Set(ctx, s.key(app, cfid), value, bareTimeout).Err()
}

func (s *redisBare) close() error { return s.client.Close() }

// luceeBare runs what Lucee 6.2 runs for a session stored in a datasource
// with cluster on: on load, one SELECT of the unexpired row; on save, the
// same SELECT again (Lucee re-reads to merge), an UPDATE, and an INSERT when
// the UPDATE found no row. No transaction: Lucee runs them in autocommit.
type luceeBare struct {
	db *sql.DB
}

// The Lucee statements, on Lucee's table (see luceeTable).
const (
	luceeSelect = `SELECT data FROM cf_session_data WHERE cfid = ? AND name = ? AND expires > ?`
	luceeUpdate = `UPDATE cf_session_data SET expires = ?, data = ? WHERE cfid = ? AND name = ?`
	luceeInsert = `INSERT INTO cf_session_data (expires, cfid, name, data) VALUES (?, ?, ?, ?)`
)

func newLuceeBare(dsn string) (*luceeBare, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	db, err := openMySQL(cfg)
	if err != nil {
		return nil, err
	}
	return &luceeBare{db: db}, nil
}

// openMySQL opens a pool as scopestore's mysql connections are: 20
// connections, one round trip per statement (client-side interpolation, as
// Connector/J's default client-side prepared statements do), and rows
// matched rather than changed counted by UPDATE, as JDBC does.
func openMySQL(cfg *mysql.Config) (*sql.DB, error) {
	cfg = cfg.Clone()
	cfg.InterpolateParams = true
	cfg.ClientFoundRows = true
	cfg.Timeout = 5 * time.Second
	cfg.ReadTimeout, cfg.WriteTimeout = 30*time.Second, 30*time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxLifetime(5 * time.Minute)
	return db, nil
}

// millis writes t as Lucee's expires: epoch milliseconds, 13 digits.
func millis(t time.Time) string {
	return fmt.Sprintf("%013d", t.UnixMilli())
}

func (s *luceeBare) load(ctx context.Context, app, cfid string) ([]byte, bool, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, luceeSelect, cfid, app, millis(time.Now())).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (s *luceeBare) save(ctx context.Context, app, cfid string, value []byte) error {
	if _, _, err := s.load(ctx, app, cfid); err != nil {
		return err
	}
	expires := millis(time.Now().Add(bareTimeout))
	res, err := s.db.ExecContext(ctx, luceeUpdate, expires, string(value), cfid, app)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	_, err = s.db.ExecContext(ctx, luceeInsert, expires, cfid, app, string(value))
	return err
}

func (s *luceeBare) close() error { return s.db.Close() }

// luceeTable is the DDL with which Lucee creates cf_session_data on MySQL:
// no primary key, data TEXT, a unique index that includes expires.
const luceeTable = `CREATE TABLE cf_session_data (
	expires VARCHAR(64) NOT NULL, cfid VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL, data TEXT NOT NULL,
	UNIQUE INDEX ix_cf_session_data (cfid, name, expires), INDEX ix_cf_session_data_expires (expires))`
