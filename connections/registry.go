// Package connections holds the registry of storages: the built-in memory
// and file storages and the named connections whose Storage flag is set,
// opened on first use. Each backend type lives in a package of its own.
package connections

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/scopestore/scopestore/connections/cookie"
	"github.com/scopestore/scopestore/connections/couchbase"
	"github.com/scopestore/scopestore/connections/couchdb"
	"github.com/scopestore/scopestore/connections/memcached"
	"github.com/scopestore/scopestore/connections/memory"
	"github.com/scopestore/scopestore/connections/redis"
	"github.com/scopestore/scopestore/connections/sqlstore"
	"github.com/scopestore/scopestore/scopes"
)

// FileStoreName is the file, under the data directory, that holds the file storage.
const FileStoreName = "scopes.db"

// Registry resolves storage names to open stores. It implements scopes.Storages.
type Registry struct {
	dataDir string
	config  scopes.ConfigStore

	mu   sync.Mutex
	open map[string]scopes.Store
	// cookie is the client scope's cookie storage, nil until UseCookieKeys.
	cookie *cookie.Store
}

var _ scopes.Storages = (*Registry)(nil)

// NewRegistry returns a registry whose file storage lives in dataDir and
// whose connections are read from config.
func NewRegistry(dataDir string, config scopes.ConfigStore) *Registry {
	return &Registry{dataDir: dataDir, config: config, open: map[string]scopes.Store{}}
}

// Store returns the open store of a storage, opening it on first use.
func (r *Registry) Store(ctx context.Context, name string) (scopes.Store, error) {
	name = scopes.NormalizeStorage(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.open[name]; ok {
		return st, nil
	}
	st, err := r.openStore(ctx, name)
	if err != nil {
		return nil, err
	}
	r.open[name] = st
	return st, nil
}

// UseCookieKeys offers the cookie storage to the client scope, its tokens
// sealed and opened with ring's keys. Without it, cookie is no storage.
func (r *Registry) UseCookieKeys(ring *cookie.Ring) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cookie = cookie.New(ring)
	delete(r.open, scopes.StorageCookie)
}

func (r *Registry) openStore(ctx context.Context, name string) (scopes.Store, error) {
	switch name {
	case scopes.StorageCookie:
		if r.cookie == nil {
			return nil, scopes.Errorf(scopes.EInvalidSettings, "cookie storage needs scopestore's secret key, which this process was not given")
		}
		return r.cookie, nil
	case scopes.StorageMemory:
		return memory.New(), nil
	case scopes.StorageFile:
		st, err := sqlstore.OpenSQLite(filepath.Join(r.dataDir, FileStoreName))
		if err != nil {
			return nil, fmt.Errorf("connections: open file storage: %w", err)
		}
		return st, nil
	}
	c, found, err := r.config.Connection(ctx, name)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, scopes.Errorf(scopes.EInvalidSettings, "unknown storage %q: it is neither memory, file nor a connection", name)
	}
	if !c.Storage {
		return nil, scopes.Errorf(scopes.EInvalidSettings, "connection %q is not flagged for storage; set its Storage flag to keep scopes in it", c.Name)
	}
	return OpenStore(ctx, c)
}

// OpenStore opens the store of a connection, whatever its Storage flag.
// A server that is down does not fail it: the store answers with errors
// until the server is back, and scopestore answers 503 meanwhile.
//
// A password that an older version left inside the url or dsn is moved to
// c.Secret first, so that each driver is given the password one way; no
// error it returns shows the password.
func OpenStore(ctx context.Context, c scopes.Connection) (scopes.Store, error) {
	c, _ = StoredPassword(c)
	var st scopes.Store
	var err error
	switch c.Type {
	case "redis":
		st, err = redis.Open(ctx, c)
	case "memcached":
		st, err = memcached.Open(ctx, c)
	case "couchbase":
		st, err = couchbase.Open(ctx, c)
	case "couchdb":
		st, err = couchdb.Open(ctx, c)
	case "mysql", "postgres", "sqlite":
		st, err = sqlstore.OpenConnection(ctx, c)
	default:
		return nil, scopes.Errorf(scopes.EInvalidSettings, "connection %q has type %s, which this version of scopestore cannot use as a storage yet", c.Name, c.Type)
	}
	if err != nil {
		return nil, withoutPassword(fmt.Errorf("connections: open %s: %w", c.Name, err), c.Secret)
	}
	return st, nil
}

// Verify opens a connection afresh, runs its checks, and closes it. A
// driver's message that quotes the password has it masked.
func Verify(ctx context.Context, c scopes.Connection) []scopes.Health {
	c, _ = StoredPassword(c)
	st, err := OpenStore(ctx, c)
	if err != nil {
		return []scopes.Health{{Name: "open", Err: withoutPassword(err, c.Secret)}}
	}
	defer st.Close()
	v, ok := st.(scopes.Verifier)
	if !ok {
		return []scopes.Health{{Name: "connect", Err: withoutPassword(st.Ping(ctx), c.Secret)}}
	}
	hs := v.Verify(ctx)
	for i := range hs {
		hs[i].Err = withoutPassword(hs[i].Err, c.Secret)
	}
	return hs
}

// Names lists the storages a scope of kind k may use: memory, file, cookie
// for the client scope, and the connections flagged for storage whose type
// scopestore can open.
func (r *Registry) Names(ctx context.Context, k scopes.Kind) ([]string, error) {
	names := []string{scopes.StorageMemory, scopes.StorageFile}
	r.mu.Lock()
	if k == scopes.Client && r.cookie != nil {
		names = append(names, scopes.StorageCookie)
	}
	r.mu.Unlock()
	conns, err := r.config.Connections(ctx)
	if err != nil {
		return nil, err
	}
	var extra []string
	for _, c := range conns {
		if c.Storage && storageTypes[c.Type] {
			extra = append(extra, strings.ToLower(c.Name))
		}
	}
	sort.Strings(extra)
	return append(names, extra...), nil
}

// storageTypes are the connection types that can hold scopes in this version.
var storageTypes = map[string]bool{"redis": true, "memcached": true, "couchbase": true, "couchdb": true, "mysql": true, "postgres": true, "sqlite": true}

// StorageType tells whether connections of a type can hold scopes in this version.
func StorageType(typ string) bool { return storageTypes[typ] }

// Open returns the stores opened so far, by name.
func (r *Registry) Open() map[string]scopes.Store {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]scopes.Store, len(r.open))
	for k, v := range r.open {
		out[k] = v
	}
	return out
}

// Close closes every open store.
func (r *Registry) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for name, st := range r.open {
		if err := st.Close(); err != nil {
			errs = append(errs, fmt.Errorf("connections: close %s: %w", name, err))
		}
		delete(r.open, name)
	}
	return errors.Join(errs...)
}

// Forget closes the open store of a storage, so that the next use opens it
// with the connection's current definition.
func (r *Registry) Forget(name string) error {
	name = scopes.NormalizeStorage(name)
	r.mu.Lock()
	st, ok := r.open[name]
	delete(r.open, name)
	r.mu.Unlock()
	if !ok {
		return nil
	}
	return st.Close()
}
