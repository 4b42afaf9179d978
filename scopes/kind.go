package scopes

// Kind is the kind of a scope: session, client, application or server.
type Kind string

// The scope kinds: session and client hold one instance per visitor;
// application one per app and server one per deployment, shared by every
// instance of scopestore that uses a shared storage.
const (
	Session     Kind = "session"
	Client      Kind = "client"
	Application Kind = "application"
	Server      Kind = "server"
)

// Kinds lists the two kinds with one instance per visitor, session first.
var Kinds = []Kind{Session, Client}

// StoredKinds lists every kind that a storage keeps.
var StoredKinds = []Kind{Session, Client, Application, Server}

// Valid reports whether k is one of the two kinds with one instance per
// visitor (session or client), which the API reaches by cfid.
func (k Kind) Valid() bool { return k == Session || k == Client }

// Stored reports whether k is a kind that storages keep: session, client,
// application or server.
func (k Kind) Stored() bool { return k.Valid() || k.Shared() }

// Shared reports whether k has one instance shared by every visitor: the
// application and server scopes.
func (k Kind) Shared() bool { return k == Application || k == Server }

// The cfids under which the shared scopes are kept, and the app name under
// which the server scope is: none is a valid cfid (ValidCFID) or app name
// (ValidateAppName), so they never meet a visitor's scope or an app's.
const (
	ApplicationCFID = "application"
	ServerCFID      = "server"
	ServerApp       = "_server"
)

// ApplicationKey returns the key of app's one application scope.
func ApplicationKey(app string) Key { return Key{App: app, Kind: Application, CFID: ApplicationCFID} }

// ServerKey returns the key of the deployment's one server scope.
func ServerKey() Key { return Key{App: ServerApp, Kind: Server, CFID: ServerCFID} }

// ServerScopeTimeout is the server scope's timeout: it has none, so it
// is the longest timeout a storage is given.
const ServerScopeTimeout = MaxTimeout
