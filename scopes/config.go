package scopes

import (
	"context"
	"time"
)

// App is an application allowed to call the runtime API.
type App struct {
	Name    string
	Created time.Time
	// Keys counts the app's active API keys; revoked ones are not counted.
	Keys int
	// Layer holds the settings set for this app; the rest are inherited.
	Layer Layer
}

// Connection is a named cache or datasource definition.
type Connection struct {
	Name string
	// Kind is "cache" or "datasource".
	Kind string
	// Type is the backend: redis, memcached, couchbase, ram, mysql, postgres or sqlite.
	Type string
	// Storage tells whether scopes may be stored in this connection.
	Storage bool
	// Params holds the type's settings (url, host, port, database, …) except the secret.
	Params map[string]string
	// Secret is the password; the config store encrypts it at rest and it is never shown back.
	Secret string
	// HasSecret tells, where Secret has been withheld from a view, whether one is stored.
	HasSecret bool
	Created   time.Time
	Updated   time.Time
	// Verified is the last Verify of this definition and Health the last
	// health check of its open store, kept by the config store so that
	// every instance shows them; a zero At means none since the connection
	// was created or last edited.
	Verified, Health ConnectionCheck
}

// The kinds of check that ConfigStore.RecordCheck keeps, the last of each.
const (
	// CheckVerify is Verify: every step on a fresh connection to the server.
	CheckVerify = "verify"
	// CheckHealth is a health check of the open store: a ping.
	CheckHealth = "health"
)

// ConnectionCheck is the outcome of one check of a connection.
type ConnectionCheck struct {
	// At is when the check started.
	At time.Time
	OK bool
	// Step names the step that failed ("connect", "write", …) and Message
	// says why; both are empty when the check passed.
	Step    string
	Message string
}

// ConfigStore keeps scopestore's own configuration: server defaults, apps,
// API key hashes and connections. "Not found" is a value (found false);
// creating what exists is an *Error with EConflict.
type ConfigStore interface {
	Ping(ctx context.Context) error

	ServerLayer(ctx context.Context) (Layer, error)
	// SetServerLayer replaces the server defaults.
	SetServerLayer(ctx context.Context, l Layer) error

	// CreateApp adds an app with one API key, given as its hash.
	CreateApp(ctx context.Context, name, keyHash string, now time.Time) error
	App(ctx context.Context, name string) (app App, found bool, err error)
	Apps(ctx context.Context) ([]App, error)
	DeleteApp(ctx context.Context, name string) (found bool, err error)
	// ReplaceKeys revokes every key of the app and adds one, given as its hash.
	ReplaceKeys(ctx context.Context, app, keyHash string, now time.Time) (found bool, err error)
	// RevokeKeys revokes every active key of the app.
	RevokeKeys(ctx context.Context, app string, now time.Time) (found bool, err error)
	// AppForKey returns the app that owns the active (not revoked) key with
	// this hash.
	AppForKey(ctx context.Context, keyHash string) (app string, found bool, err error)
	// AddKey adds an active key to the app, given as its hash, labelled
	// label ("" for the next "key N"); found is false when there is no such
	// app.
	AddKey(ctx context.Context, app, keyHash, label string, now time.Time) (key APIKey, found bool, err error)
	// Keys lists the app's keys, revoked ones too, oldest first; found is
	// false when there is no such app.
	Keys(ctx context.Context, app string) (keys []APIKey, found bool, err error)
	// RevokeKey revokes the app's key with this id and returns it with the
	// number of active keys left; unless force, it refuses (EConflict) to
	// revoke the app's last active key. found is false when there is no
	// such app or key.
	RevokeKey(ctx context.Context, app string, id int64, force bool, now time.Time) (key APIKey, left int, found bool, err error)
	// KeyUsed records that the key with this hash was used at the time
	// given, unless a later use is recorded already.
	KeyUsed(ctx context.Context, keyHash string, at time.Time) error
	// SetAppLayer replaces the settings set for an app.
	SetAppLayer(ctx context.Context, app string, l Layer) (found bool, err error)

	CreateConnection(ctx context.Context, c Connection) error
	Connection(ctx context.Context, name string) (c Connection, found bool, err error)
	Connections(ctx context.Context) ([]Connection, error)
	// UpdateConnection replaces a connection's definition; keepSecret keeps
	// the stored password.
	UpdateConnection(ctx context.Context, c Connection, keepSecret bool) (found bool, err error)
	DeleteConnection(ctx context.Context, name string) (found bool, err error)
	// RecordCheck keeps the outcome of a connection's check of a kind
	// (CheckVerify or CheckHealth) unless the connection was edited after
	// the check started or a later check of that kind is kept already;
	// recorded tells whether it was kept.
	RecordCheck(ctx context.Context, name, kind string, c ConnectionCheck) (recorded bool, err error)

	Close() error
}
