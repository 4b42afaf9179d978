package admin

import (
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// The two kinds of connection; the routes serve each under "/"+kind+"s".
const (
	kindCache      = "cache"
	kindDatasource = "datasource"
)

// connType is a connection type as the console offers it.
type connType struct {
	Name  string
	Label string
	Hint  string
}

// storableTypes are the types of each kind that this version can keep
// scopes in, in the order the console offers them. Only these can be
// created here; connections of other types are listed with a note.
var storableTypes = map[string][]connType{
	kindCache: {
		{"redis", "Redis", "Standalone, Sentinel or Cluster; one key per scope with a native TTL."},
		{"memcached", "Memcached", "One or more servers; one item per scope with a native TTL. Scopes cannot be listed or counted."},
		{"couchdb", "CouchDB", "One document per scope in a database, over CouchDB's HTTP API."},
		{"couchbase", "Couchbase", "One document per scope in a bucket's collection, with a native TTL."},
	},
	kindDatasource: {
		{"mysql", "MySQL / MariaDB", "cf_session_data and cf_client_data, as Lucee creates them."},
		{"postgres", "PostgreSQL", "cf_session_data and cf_client_data with TEXT data."},
		{"sqlite", "SQLite", "A database file on this server: for one instance only."},
	},
}

// connTypeLabels names every type scopestore knows, storable or not.
var connTypeLabels = map[string]string{
	"redis": "Redis", "memcached": "Memcached", "couchbase": "Couchbase", "couchdb": "CouchDB", "ram": "RAM cache",
	"mysql": "MySQL / MariaDB", "postgres": "PostgreSQL", "sqlite": "SQLite",
}

// connTypeLabel returns a type's name as people read it.
func connTypeLabel(typ string) string {
	if l, ok := connTypeLabels[typ]; ok {
		return l
	}
	return typ
}

// storableType tells whether connections of typ, of this kind, can hold scopes
// in this version.
func storableType(kind, typ string) bool {
	return slices.ContainsFunc(storableTypes[kind], func(t connType) bool { return t.Name == typ })
}

// connKindTitle is the kind as a heading word: "Cache", "Datasource".
func connKindTitle(kind string) string {
	if kind == kindCache {
		return "Cache"
	}
	return "Datasource"
}

// connKindPlural is the kind's list heading and navigation section.
func connKindPlural(kind string) string {
	if kind == kindCache {
		return "Caches"
	}
	return "Datasources"
}

// connSection is the navigation entry of a kind's pages.
func connSection(kind string) string { return kind + "s" }

// connListPath is the URL of a kind's list.
func connListPath(kind string) string { return Prefix + "/" + kind + "s" }

// connPath is the URL of a connection's page; suffix ("/verify") is added.
func connPath(kind, name, suffix string) string {
	return connListPath(kind) + "/" + url.PathEscape(name) + suffix
}

// connectionOf reads the connection named in the path, of the given kind,
// so that a cache is not reachable under /datasources and the other way round.
func (a *Console) connectionOf(c echo.Context, kind string) (scopes.Connection, error) {
	name := c.Param("name")
	conn, err := a.Connections.Connection(c.Request().Context(), name)
	if err != nil {
		return conn, err
	}
	if conn.Kind != kind {
		return conn, scopes.Errorf(scopes.ENotFound, "There is no %s named %q.", kind, name)
	}
	return conn, nil
}
