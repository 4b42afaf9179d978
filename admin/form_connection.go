package admin

import (
	"maps"
	"net/url"
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
	"redis":    {"url", "host", "port", "mode", "master", "database", "tls", "username", "prefix", "pool_size", "timeout", "min_replicas_acked", "replica_timeout"},
	"mysql":    {"host", "port", "database", "username", "strict", "pool_size", "timeout", "dsn"},
	"postgres": {"host", "port", "database", "username", "pool_size", "timeout", "url"},
	"sqlite":   {"file"},
}

// connCheckboxDefaults are the checkbox params and their value when unset.
var connCheckboxDefaults = map[string]bool{"tls": false, "strict": true}

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
	// RemovePassword deletes the stored password (edit only).
	RemovePassword bool
	// Editing is true on an existing connection's form: name and type stay.
	Editing bool
	// HasSecret tells, when editing, that a password is stored.
	HasSecret bool
	// URLPassword tells, when editing, that the stored url or dsn holds a
	// password, which the form does not show.
	URLPassword bool
	// Errors holds a message per field name; connFormError for the others.
	Errors map[string]string
}

// newConnectionForm is the empty form of a new connection of a type.
func newConnectionForm(kind, typ string) connectionForm {
	return connectionForm{Kind: kind, Type: typ, Storage: true, Verify: true,
		Params: map[string]string{}, Errors: map[string]string{}}
}

// connectionFormOf is the form of an existing connection. A password inside
// its url or dsn is left out, as the password field is.
func connectionFormOf(conn scopes.Connection) connectionForm {
	f := connectionForm{Kind: conn.Kind, Type: conn.Type, Name: conn.Name, Storage: conn.Storage, Verify: true,
		Editing: true, HasSecret: conn.HasSecret, Params: maps.Clone(conn.Params), Errors: map[string]string{}}
	if f.Params == nil {
		f.Params = map[string]string{}
	}
	for _, p := range []string{"url", "dsn"} {
		if clean, pass := splitPassword(p, f.Params[p]); pass != "" {
			f.Params[p], f.URLPassword = clean, true
		}
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
			if p == "tls" && v == "false" {
				v = "" // off is the default: no need to store it
			}
		}
		if p == "mode" && v == "standalone" {
			v = ""
		}
		if v != "" {
			f.Params[p] = v
		}
	}
	// A password typed into the url or dsn goes where passwords are kept:
	// encrypted, and never shown back.
	for _, p := range []string{"url", "dsn"} {
		if clean, pass := splitPassword(p, f.Params[p]); pass != "" {
			f.Params[p] = clean
			if f.Password == "" {
				f.Password = pass
			}
		}
	}
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

// validate checks what connections.Validate cannot see, as it checks each
// param alone: the fields that exclude each other.
func (f *connectionForm) validate() bool {
	p := f.Params
	switch f.Type {
	case "redis":
		if p["url"] != "" && p["host"] != "" {
			f.Errors["url"] = "Give a URL or a host, not both: clear one of them."
		}
		sentinel := p["mode"] == "sentinel"
		if sentinel && p["master"] == "" {
			f.Errors["master"] = "Sentinel mode needs the name of the master that the sentinels monitor."
		} else if !sentinel && p["master"] != "" {
			f.Errors["master"] = "A master applies to Sentinel mode only: choose Sentinel or clear it."
		}
		if strings.ContainsAny(p["prefix"], "{}") {
			f.Errors["prefix"] = "The prefix must not contain braces: they would move the keys' Cluster hash tag."
		}
	case "mysql", "postgres":
		alt := "dsn"
		if f.Type == "postgres" {
			alt = "url"
		}
		if p[alt] != "" && (p["host"] != "" || p["port"] != "" || p["database"] != "" || p["username"] != "") {
			f.Errors[alt] = "Give the " + strings.ToUpper(alt) + " or the host, port, database and user fields, not both: clear one of them."
		}
	}
	return len(f.Errors) == 0
}

// connection is the connection the form defines.
func (f connectionForm) connection() scopes.Connection {
	return scopes.Connection{Name: f.Name, Kind: f.Kind, Type: f.Type, Storage: f.Storage,
		Params: maps.Clone(f.Params), Secret: f.Password}
}

// invalid places the messages of an EInvalid error from the connection
// manager, one per line, each beside the field whose param it starts with.
func (f *connectionForm) invalid(err error) {
	for _, line := range strings.Split(scopes.ErrorMessage(err), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		key := f.fieldOf(line)
		if prev, ok := f.Errors[key]; ok {
			line = prev + " " + line
		}
		f.Errors[key] = line
	}
}

// fieldOf returns the field a message of connections.Validate is about.
func (f *connectionForm) fieldOf(line string) string {
	fields := append([]string{"name", "type"}, connTypeFields[f.Type]...)
	// Longest first, so that "pool_size" is not taken for another field's prefix.
	slices.SortFunc(fields, func(a, b string) int { return len(b) - len(a) })
	for _, name := range fields {
		if strings.HasPrefix(line, name+" ") || strings.HasPrefix(line, name+":") {
			return name
		}
	}
	if strings.HasPrefix(line, "a "+f.Type+" connection needs") {
		switch f.Type {
		case "sqlite":
			return "file"
		case "mysql", "postgres":
			if f.Params["host"] != "" && f.Params["database"] == "" {
				return "database"
			}
		}
		return "host"
	}
	return connFormError
}

// splitPassword returns a url or dsn param without the password it holds,
// and that password ("" when it holds none).
func splitPassword(param, raw string) (string, string) {
	if raw == "" {
		return raw, ""
	}
	if param == "dsn" {
		return splitDSNPassword(raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return splitRawURLPassword(raw)
	}
	if u.User == nil {
		return raw, ""
	}
	pass, ok := u.User.Password()
	if !ok || pass == "" {
		return raw, ""
	}
	if name := u.User.Username(); name != "" {
		u.User = url.User(name)
	} else {
		u.User = nil
	}
	return u.String(), pass
}

// splitRawURLPassword does what splitPassword does for a URL that does not
// parse (a stray '%' in the password, say), so that even its error message
// does not show the password: the user info ends at the last '@' before
// the path.
func splitRawURLPassword(raw string) (string, string) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw, ""
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return raw, ""
	}
	user, pass, ok := strings.Cut(authority[:at], ":")
	if !ok || pass == "" {
		return raw, ""
	}
	if p, err := url.PathUnescape(pass); err == nil {
		pass = p
	}
	if user != "" {
		user += "@"
	}
	return scheme + "://" + user + rest[at+1:], pass
}

// splitDSNPassword does what splitPassword does for a go-sql-driver DSN,
// [mysql://][user[:password]@][net[(addr)]]/dbname[?params], reading it as
// the driver does: the user info ends at the last '@' before the last '/',
// and the password starts after the first ':'.
func splitDSNPassword(dsn string) (string, string) {
	scheme, rest := "", dsn
	if strings.HasPrefix(rest, "mysql://") {
		scheme, rest = "mysql://", strings.TrimPrefix(rest, "mysql://")
	}
	slash := strings.LastIndex(rest, "/")
	if slash < 0 {
		return dsn, ""
	}
	at := strings.LastIndex(rest[:slash], "@")
	if at < 0 {
		return dsn, ""
	}
	user, pass, ok := strings.Cut(rest[:at], ":")
	if !ok || pass == "" {
		return dsn, ""
	}
	return scheme + user + rest[at:], pass
}

// storedPassword returns the password that a stored connection's url or dsn
// holds, which its form hides.
func storedPassword(conn scopes.Connection) string {
	for _, p := range []string{"url", "dsn"} {
		if _, pass := splitPassword(p, conn.Params[p]); pass != "" {
			return pass
		}
	}
	return ""
}
