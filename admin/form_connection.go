package admin

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// connFormError is the key of Errors for a message that names no field.
const connFormError = "_form"

// connTypeFields lists the form fields of each type the console can create, by
// the name of the param each one sets. The password is apart: it is the
// connection's secret, write-only.
var connTypeFields = map[string][]string{
	"redis":    {"url", "host", "port", "mode", "master", "database", "tls", "username", "prefix", "pool_size", "timeout", "autopipeline", "min_replicas_acked", "replica_timeout"},
	"mysql":    {"host", "port", "database", "username", "strict", "prepare", "pool_size", "timeout", "dsn"},
	"postgres": {"host", "port", "database", "username", "pool_size", "timeout", "url"},
	"sqlite":   {"file"},
	// memcached, CouchDB and Couchbase: the password, when there is one,
	// is the secret, as for Redis.
	"memcached": {"servers", "prefix", "timeout"},
	"couchdb":   {"url", "username", "timeout"},
	"couchbase": {"url", "bucket", "scope", "collection", "username", "timeout"},
}

// timeoutParams are the params that hold a time, which the form takes
// with spaces in it.
var timeoutParams = map[string]bool{"timeout": true, "replica_timeout": true}

// connCheckboxDefaults are the checkbox params and their value when unset.
var connCheckboxDefaults = map[string]bool{"tls": false, "strict": true, "autopipeline": true, "prepare": true}

// connCheckboxUnstored are the checkbox params stored only when off their
// default: there is no need to store tls off or prepare on, and
// autopipeline's default is off in mode cluster, where true would be
// refused. strict is stored either way.
var connCheckboxUnstored = map[string]bool{"tls": true, "autopipeline": true, "prepare": true}

// connectionForm is a cache or datasource form as submitted: the fields of
// its type by param name, the password apart, and one message per field.
type connectionForm struct {
	Kind string
	Type string
	Name string
	// Storage is Lucee's flag: scopes may be kept in this connection.
	Storage bool
	// Verify runs the connection's checks after a successful save.
	Verify bool
	// Params holds the type's fields by param name; unset ones are absent.
	Params map[string]string
	// Password is the password as submitted. It is never rendered.
	Password string
	// URLPassword tells that a password typed into the url or dsn was
	// taken out of the form shown again: it must be typed again too.
	URLPassword bool
	// RemovePassword deletes the stored password (edit only).
	RemovePassword bool
	// Editing is true on an existing connection's form: name and type stay.
	Editing bool
	// HasSecret tells, when editing, that a password is stored.
	HasSecret bool
	// Errors holds a message per field name; connFormError for the others.
	Errors map[string]string
}

// newConnectionForm is the empty form of a new connection of a type.
func newConnectionForm(kind, typ string) connectionForm {
	return connectionForm{Kind: kind, Type: typ, Storage: true, Verify: true,
		Params: map[string]string{}, Errors: map[string]string{}}
}

// connectionFormOf is the form of an existing connection, as the connection
// manager hands it out: no password, not even inside its url or dsn.
func connectionFormOf(conn scopes.Connection) connectionForm {
	f := connectionForm{Kind: conn.Kind, Type: conn.Type, Name: conn.Name, Storage: conn.Storage, Verify: true,
		Editing: true, HasSecret: conn.HasSecret, Params: maps.Clone(conn.Params), Errors: map[string]string{}}
	if f.Params == nil {
		f.Params = map[string]string{}
	}
	return f
}

// readConnectionForm reads a submitted form of a connection of type typ.
func readConnectionForm(c echo.Context, kind, typ string) connectionForm {
	f := connectionForm{Kind: kind, Type: typ, Name: strings.TrimSpace(c.FormValue("name")),
		Storage: c.FormValue("storage") != "", Verify: c.FormValue("verify") != "",
		Password: c.FormValue("password"), RemovePassword: c.FormValue("remove_password") != "",
		Params: map[string]string{}, Errors: map[string]string{}}
	for _, p := range connTypeFields[typ] {
		v := strings.TrimSpace(c.FormValue(p))
		if _, ok := connCheckboxDefaults[p]; ok {
			v = strconv.FormatBool(v != "")
			if connCheckboxUnstored[p] && v == strconv.FormatBool(connCheckboxDefaults[p]) {
				v = ""
			}
		}
		if p == "mode" && v == "standalone" {
			v = ""
		}
		if timeoutParams[p] {
			// "500 ms" and "1.5 s" as people write them; no duration has a space.
			v = strings.Join(strings.Fields(v), "")
		}
		if v != "" {
			f.Params[p] = v
		}
	}
	// A password typed into the url or dsn stays there: the connection
	// manager moves it to the encrypted password, and refuses it when it
	// differs from the one typed apart. checkConnection takes it out of
	// the form before the form is shown again.
	return f
}

// checked tells whether a checkbox param is on.
func (f connectionForm) checked(param string) bool {
	v := f.Params[param]
	if v == "" {
		return connCheckboxDefaults[param]
	}
	b, err := scopes.ParseBool(v)
	return err == nil && b
}

// connFieldLabels name the fields of the connection forms as their labels
// do, so that a message names the field the administrator sees.
var connFieldLabels = map[string]string{
	"name": "Name", "type": "Type", "url": "URL", "host": "Host", "port": "Port", "mode": "Mode",
	"master": "Master", "database": "Database", "tls": "Use TLS", "username": "User name",
	"password": "Password", "prefix": "Key prefix", "pool_size": "Pool size", "timeout": "Timeout",
	"min_replicas_acked": "Replicas to wait for", "replica_timeout": "Replica wait",
	"strict": "Throw error upon data truncation", "autopipeline": "Autopipelining", "prepare": "Prepared statements", "dsn": "DSN", "file": "File", "storage": "Storage",
	"servers": "Servers", "bucket": "Bucket", "scope": "Scope", "collection": "Collection",
}

// connFieldLabel is the label of a field of a type's form.
func connFieldLabel(typ, param string) string {
	if param == "timeout" && typ != "redis" && typ != "memcached" {
		return "Connect timeout"
	}
	if l, ok := connFieldLabels[param]; ok {
		return l
	}
	return param
}

// connRequired lists the fields each type's form needs, each with the
// field that may stand in for it ("" when none may): a MySQL host is
// needed unless a DSN is given.
var connRequired = map[string]map[string]string{
	"redis":     {"host": "url"},
	"mysql":     {"host": "dsn", "database": "dsn"},
	"postgres":  {"host": "url", "database": "url"},
	"sqlite":    {"file": ""},
	"memcached": {"servers": ""},
	"couchdb":   {"url": ""},
	"couchbase": {"url": "", "bucket": ""},
}

// errorSummary is the line above a form of which n fields (or settings)
// need a change, so that a message below the fold is not missed; "" when
// none does.
func errorSummary(n int, field string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "Nothing was saved: one " + field + " needs a change, as its message says."
	}
	return "Nothing was saved: " + strconv.Itoa(n) + " " + field + "s need a change, as their messages say."
}

// connNameExamples are the placeholders of a new connection's name.
var connNameExamples = map[string]string{"redis": "SessionStorageCache", "mysql": "sstorage", "postgres": "sessions-pg", "sqlite": "local-sessions",
	"memcached": "SessionMemcached", "couchdb": "couch-sessions", "couchbase": "cb-sessions"}

// connNameExample is an example name for a new connection of the form's type.
func connNameExample(f connectionForm) string { return connNameExamples[f.Type] }

// required tells whether a field of the form must be filled in: it is
// needed, and the field that may stand in for it is empty.
func (f connectionForm) required(param string) bool {
	alt, ok := connRequired[f.Type][param]
	return ok && (alt == "" || f.Params[alt] == "")
}

// validate checks the form, every field at once: the fields it needs, and
// the fields that exclude each other, which connections.Validate cannot see
// as it checks each param alone. The connection manager's own checks are
// added by invalid.
func (f *connectionForm) validate() bool {
	p := f.Params
	if !f.Editing && f.Name == "" {
		f.Errors["name"] = "Name is required: apps name this " + f.Kind + " in their session and client storage settings."
	}
	server := connTypeLabel(f.Type)
	for param, alt := range connRequired[f.Type] {
		if p[param] != "" || (alt != "" && p[alt] != "") {
			continue
		}
		switch param {
		case "host":
			f.Errors[param] = "Host is required: enter the name or address of the " + server + " server, or give a " +
				strings.ToUpper(alt) + " instead."
		case "database":
			f.Errors[param] = "Database is required: enter the database that is to hold the scope tables, or give a " +
				strings.ToUpper(alt) + " instead."
		case "file":
			f.Errors[param] = "File is required: enter the path of the database file on this server."
		case "servers":
			f.Errors[param] = "Servers is required: enter the memcached servers as host:port, comma-separated."
		case "url":
			f.Errors[param] = "URL is required: enter the address of the " + server + " server, such as " + connURLExample(f.Type) + "."
		case "bucket":
			f.Errors[param] = "Bucket is required: enter the Couchbase bucket that is to hold the scopes."
		}
	}
	switch f.Type {
	case "redis":
		if p["url"] != "" && p["host"] != "" {
			f.Errors["url"] = "Give a URL or a host, not both: clear one of them."
		}
		sentinel := p["mode"] == "sentinel"
		if sentinel && p["master"] == "" {
			f.Errors["master"] = "Master is required in Sentinel mode: enter the name of the master that the sentinels monitor."
		} else if !sentinel && p["master"] != "" {
			f.Errors["master"] = "Master applies to Sentinel mode only: choose Sentinel as the mode, or clear Master."
		}
		if strings.ContainsAny(p["prefix"], "{}") {
			f.Errors["prefix"] = "Key prefix must not contain { or }: they would move the keys' Cluster hash tag."
		}
	case "mysql", "postgres":
		alt := "dsn"
		if f.Type == "postgres" {
			alt = "url"
		}
		if p[alt] != "" && (p["host"] != "" || p["port"] != "" || p["database"] != "" || p["username"] != "") {
			f.Errors[alt] = "Give the " + strings.ToUpper(alt) + " or the Host, Port, Database and User name fields, not both: clear one of them."
		}
	}
	return len(f.Errors) == 0
}

// connection is the connection the form defines.
func (f connectionForm) connection() scopes.Connection {
	return scopes.Connection{Name: f.Name, Kind: f.Kind, Type: f.Type, Storage: f.Storage,
		Params: maps.Clone(f.Params), Secret: f.Password}
}

// invalid places the problems of an EInvalid error from the connection
// manager each beside its field, named by its label; a field that has a
// message of the form's own keeps it, as it says more. Any other message
// goes above the fields.
func (f *connectionForm) invalid(err error) {
	if err == nil {
		return
	}
	var problems interface{ ByParam() map[string][]string }
	if !errors.As(err, &problems) {
		f.Errors[connFormError] = scopes.ErrorMessage(err)
		return
	}
	for param, rules := range problems.ByParam() {
		key := param
		if param != "name" && !slices.Contains(connTypeFields[f.Type], param) {
			key = connFormError
		}
		prev, ok := f.Errors[key]
		if ok && key != connFormError {
			continue
		}
		msgs := make([]string, len(rules))
		for i, r := range rules {
			msgs[i] = connFieldLabel(f.Type, param) + " " + r + "."
		}
		f.Errors[key] = strings.TrimSpace(prev + " " + strings.Join(msgs, " "))
	}
}

// connURLExample is an example URL of a type whose form starts from one.
func connURLExample(typ string) string {
	if typ == "couchbase" {
		return "couchbase://cb1.internal"
	}
	return "http://127.0.0.1:5984/sessions"
}
