package connections

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Connection kinds.
const (
	KindCache      = "cache"
	KindDatasource = "datasource"
)

// typeSpec describes one connection type: its kind, the parameters it
// takes, and which of them must be there.
type typeSpec struct {
	kind   string
	params []string
	// required lists alternatives: each inner list is a set of parameters
	// that together suffice (e.g. a url, or a host and a database).
	required [][]string
}

// types lists every connection type scopestore knows.
var types = map[string]typeSpec{
	"redis":     {KindCache, []string{"url", "host", "port", "username", "database", "tls", "mode", "master", "prefix", "pool_size", "timeout", "min_replicas_acked", "replica_timeout"}, [][]string{{"url"}, {"host"}}},
	"memcached": {KindCache, []string{"servers", "timeout"}, [][]string{{"servers"}}},
	"couchbase": {KindCache, []string{"url", "bucket", "username", "timeout"}, [][]string{{"url", "bucket"}}},
	"ram":       {KindCache, nil, nil},
	"mysql":     {KindDatasource, []string{"dsn", "host", "port", "database", "username", "strict", "pool_size", "timeout"}, [][]string{{"dsn"}, {"host", "database"}}},
	"postgres":  {KindDatasource, []string{"url", "host", "port", "database", "username", "pool_size", "timeout"}, [][]string{{"url"}, {"host", "database"}}},
	"sqlite":    {KindDatasource, []string{"file"}, [][]string{{"file"}}},
}

// Types lists the connection type names, sorted.
func Types() []string {
	out := make([]string, 0, len(types))
	for t := range types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// KindOf returns the kind of a connection type, "" for an unknown type.
func KindOf(typ string) string { return types[typ].kind }

var connectionNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// reservedNames are storage names a connection cannot take.
var reservedNames = map[string]bool{"memory": true, "file": true, "cookie": true, "ram": true, "registry": true}

// Validate checks a connection definition before it is stored and fills in
// its kind. Every problem is reported, one per line, naming the flag or field.
func Validate(c *scopes.Connection) error {
	var problems []string
	if !connectionNamePattern.MatchString(c.Name) {
		problems = append(problems, fmt.Sprintf("name %q is invalid: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter", c.Name))
	} else if reservedNames[strings.ToLower(c.Name)] {
		problems = append(problems, fmt.Sprintf("name %q is reserved for a built-in storage; choose another", c.Name))
	}
	spec, ok := types[c.Type]
	if !ok {
		problems = append(problems, fmt.Sprintf("type %q is unknown; the types are %s", c.Type, strings.Join(Types(), ", ")))
		return scopes.Errorf(scopes.EInvalid, "%s", strings.Join(problems, "\n"))
	}
	c.Kind = spec.kind
	if msg := extractSecret(c); msg != "" {
		problems = append(problems, msg)
	}
	for name, value := range c.Params {
		if value == "" {
			delete(c.Params, name)
			continue
		}
		if !slices.Contains(spec.params, name) {
			problems = append(problems, fmt.Sprintf("%s does not apply to a %s connection; it takes %s", name, c.Type, orNone(spec.params)))
			continue
		}
		if msg := checkParam(c.Type, name, value); msg != "" {
			problems = append(problems, msg)
		}
	}
	if len(spec.required) > 0 && !anySatisfied(spec.required, c.Params) {
		var alts []string
		for _, set := range spec.required {
			alts = append(alts, strings.Join(set, " and "))
		}
		problems = append(problems, fmt.Sprintf("a %s connection needs %s", c.Type, strings.Join(alts, ", or ")))
	}
	if len(problems) > 0 {
		return scopes.Errorf(scopes.EInvalid, "%s", strings.Join(problems, "\n"))
	}
	return nil
}

// mysqlDSNPassword finds the password of a go-sql-driver DSN, user:pass@….
var mysqlDSNPassword = regexp.MustCompile(`^([^:@/()]*):([^@]*)@`)

// extractSecret moves a password written into a URL or DSN to the
// connection's secret, so that it is stored encrypted and never shown with
// the parameters. It returns a problem when two different passwords are given.
func extractSecret(c *scopes.Connection) string {
	take := func(name, password string) string {
		if c.Secret != "" && c.Secret != password {
			return fmt.Sprintf("%s holds a password and another was given: give it once", name)
		}
		c.Secret = password
		return ""
	}
	if raw := c.Params["url"]; raw != "" {
		u, err := url.Parse(raw)
		if err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok {
				if msg := take("url", pw); msg != "" {
					return msg
				}
				if name := u.User.Username(); name != "" {
					u.User = url.User(name)
				} else {
					u.User = nil
				}
				c.Params["url"] = u.String()
			}
		}
	}
	if dsn := c.Params["dsn"]; dsn != "" {
		if m := mysqlDSNPassword.FindStringSubmatch(dsn); m != nil && m[2] != "" {
			if msg := take("dsn", m[2]); msg != "" {
				return msg
			}
			c.Params["dsn"] = m[1] + dsn[len(m[0])-1:]
		}
	}
	return ""
}

func checkParam(typ, name, value string) string {
	switch name {
	case "port":
		if n, err := strconv.Atoi(value); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("port %q is not a port number (1-65535)", value)
		}
	case "pool_size":
		if n, err := strconv.Atoi(value); err != nil || n < 1 || n > 10000 {
			return fmt.Sprintf("pool_size %q must be a number from 1 to 10000", value)
		}
	case "database":
		if typ == "redis" {
			if n, err := strconv.Atoi(value); err != nil || n < 0 {
				return fmt.Sprintf("database %q must be a Redis database number (0, 1, …)", value)
			}
		}
	case "tls", "strict":
		if _, _, err := scopes.CanonicalSetting(scopes.SessionCluster, value); err != nil {
			return fmt.Sprintf("%s %q must be true or false", name, value)
		}
	case "mode":
		if value != "standalone" && value != "sentinel" && value != "cluster" {
			return fmt.Sprintf("mode %q must be standalone, sentinel or cluster", value)
		}
	case "timeout":
		if _, err := scopes.ParseTimeout(value); err != nil {
			return fmt.Sprintf("timeout: %v", err)
		}
	case "replica_timeout":
		if d, err := time.ParseDuration(value); err != nil || d < 10*time.Millisecond || d > time.Minute {
			return fmt.Sprintf("replica_timeout %q must be a duration from 10ms to 1m, such as 500ms or 1s", value)
		}
	case "min_replicas_acked":
		if n, err := strconv.Atoi(value); err != nil || n < 0 || n > 16 {
			return fmt.Sprintf("min_replicas_acked %q must be a number from 0 (do not wait) to 16", value)
		}
	case "url":
		u, err := url.Parse(value)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Sprintf("url %q is not a URL like %s", value, exampleURL(typ))
		}
		if want := urlSchemes[typ]; len(want) > 0 && !slices.Contains(want, u.Scheme) {
			return fmt.Sprintf("url %q must start with %s://", value, strings.Join(want, ":// or "))
		}
	}
	return ""
}

var urlSchemes = map[string][]string{
	"redis":     {"redis", "rediss"},
	"postgres":  {"postgres", "postgresql"},
	"couchbase": {"couchbase", "couchbases"},
}

func exampleURL(typ string) string {
	switch typ {
	case "redis":
		return "redis://127.0.0.1:6379/0"
	case "postgres":
		return "postgres://user@127.0.0.1:5432/db"
	}
	return "couchbase://127.0.0.1"
}

func anySatisfied(alternatives [][]string, params map[string]string) bool {
	for _, set := range alternatives {
		ok := true
		for _, p := range set {
			if params[p] == "" {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "no parameters"
	}
	return strings.Join(list, ", ")
}
