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

	"github.com/jackc/pgx/v5"

	"github.com/scopestore/scopestore/connections/redis"
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
	"redis":     {KindCache, []string{"url", "host", "port", "username", "database", "tls", "mode", "master", "prefix", "pool_size", "timeout", "min_replicas_acked", "replica_timeout", "autopipeline"}, [][]string{{"url"}, {"host"}}},
	"memcached": {KindCache, []string{"servers", "prefix", "pool_size", "timeout"}, [][]string{{"servers"}}},
	"couchbase": {KindCache, []string{"url", "bucket", "scope", "collection", "username", "timeout"}, [][]string{{"url", "bucket"}}},
	"couchdb":   {KindCache, []string{"url", "username", "timeout"}, [][]string{{"url"}}},
	"ram":       {KindCache, nil, nil},
	"mysql":     {KindDatasource, []string{"dsn", "host", "port", "database", "username", "strict", "pool_size", "timeout", "prepare"}, [][]string{{"dsn"}, {"host", "database"}}},
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

// Problem is one thing wrong with a connection definition: the parameter
// it is about ("name", "type", "url", "pool_size", …) and what is wrong, as
// a phrase that follows the parameter's name: "must be a whole number from
// 1 to 10000". Each front end names the parameter its own way: the command
// line by its name, the console by its field's label.
type Problem struct {
	Param string
	// Value is the value given, "" when there is none.
	Value string
	Rule  string
	// Instead are the parameters that may be given in place of a missing
	// one (a url or dsn for a host and a database).
	Instead []string
}

// rule is the problem's rule with its alternative, as a form shows it
// beside its field: "is required for a MySQL connection, or give a dsn
// instead".
func (p Problem) rule() string {
	if len(p.Instead) == 0 {
		return p.Rule
	}
	return p.Rule + ", or give a " + strings.Join(p.Instead, " and a ") + " instead"
}

// flagName is a parameter as the command line names it: --pool-size.
func flagName(param string) string { return "--" + strings.ReplaceAll(param, "_", "-") }

// TypeTitle is a connection type as sentences name it: MySQL, Redis.
func TypeTitle(typ string) string {
	if t, ok := typeTitles[typ]; ok {
		return t
	}
	return typ
}

var typeTitles = map[string]string{"redis": "Redis", "mysql": "MySQL", "postgres": "PostgreSQL", "sqlite": "SQLite",
	"memcached": "Memcached", "couchbase": "Couchbase", "couchdb": "CouchDB", "ram": "RAM"}

// Problems are every problem Validate found. The EInvalid error that
// Validate returns carries them as its cause, so that a form can show each
// beside its field.
type Problems []Problem

// Error says how many problems there are; Lines says what they are.
func (ps Problems) Error() string {
	if len(ps) == 1 {
		return "1 problem with the connection's definition"
	}
	return fmt.Sprintf("%d problems with the connection's definition", len(ps))
}

// Lines writes each problem as the command line shows it, one per line,
// naming its flag: `--pool-size "-3" must be a whole number from 1 to
// 10000`. Missing parameters with the same alternative share a line:
// "--host and --database are required for a MySQL connection, or give
// --dsn instead".
func (ps Problems) Lines() string {
	var lines []string
	for i := 0; i < len(ps); i++ {
		p := ps[i]
		if len(p.Instead) > 0 {
			flags := []string{flagName(p.Param)}
			for i+1 < len(ps) && ps[i+1].Rule == p.Rule && slices.Equal(ps[i+1].Instead, p.Instead) {
				i++
				flags = append(flags, flagName(ps[i].Param))
			}
			rule := strings.Replace(p.Rule, "is required", "are required", 1)
			if len(flags) == 1 {
				rule = p.Rule
			}
			instead := make([]string, len(p.Instead))
			for j, alt := range p.Instead {
				instead[j] = flagName(alt)
			}
			lines = append(lines, fmt.Sprintf("%s %s, or give %s instead", strings.Join(flags, " and "), rule, strings.Join(instead, " and ")))
			continue
		}
		if p.Value != "" {
			lines = append(lines, fmt.Sprintf("%s %q %s", flagName(p.Param), p.Value, p.Rule))
		} else {
			lines = append(lines, flagName(p.Param)+" "+p.Rule)
		}
	}
	return strings.Join(lines, "\n")
}

// ByParam returns the rules that each parameter breaks.
func (ps Problems) ByParam() map[string][]string {
	out := map[string][]string{}
	for _, p := range ps {
		out[p.Param] = append(out[p.Param], p.rule())
	}
	return out
}

// Validate checks a connection definition before it is stored and fills in
// its kind. Every problem is reported, one per line, naming the parameter;
// the error's cause is the Problems.
func Validate(c *scopes.Connection) error {
	var problems Problems
	add := func(param, value, rule string, args ...any) {
		problems = append(problems, Problem{Param: param, Value: value, Rule: fmt.Sprintf(rule, args...)})
	}
	switch {
	case c.Name == "":
		add("name", "", "is required: apps name the connection in their storage settings")
	case !connectionNamePattern.MatchString(c.Name):
		add("name", c.Name, "must start with a letter and hold only letters, digits, '_', '.' or '-', at most 64 characters")
	case reservedNames[strings.ToLower(c.Name)]:
		add("name", c.Name, "is taken by a built-in storage: choose another")
	}
	spec, ok := types[c.Type]
	if !ok {
		add("type", c.Type, "is not a connection type: choose one of %s", strings.Join(Types(), ", "))
		return invalid(problems)
	}
	c.Kind = spec.kind
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	if p := takePassword(c, false); p != nil {
		problems = append(problems, *p)
	}
	for _, name := range sortedKeys(c.Params) {
		value := c.Params[name]
		if value == "" {
			delete(c.Params, name)
			continue
		}
		if !slices.Contains(spec.params, name) {
			add(name, "", "does not apply to a %s connection, which takes %s", TypeTitle(c.Type), orNone(spec.params))
			continue
		}
		if rule := checkParam(c.Type, name, value); rule != "" {
			if name == "url" || name == "dsn" {
				value = "" // it may hold a password that did not parse
			}
			add(name, value, "%s", rule)
		}
	}
	if len(spec.required) > 0 && !anySatisfied(spec.required, c.Params) {
		problems = append(problems, missing(c.Type, spec.required, c.Params)...)
	}
	if len(problems) > 0 {
		return invalid(problems)
	}
	return nil
}

// invalid is the EInvalid error of Validate, its problems as its cause.
func invalid(ps Problems) error {
	return &scopes.Error{Code: scopes.EInvalid, Message: ps.Lines(), Err: ps}
}

// missing reports the parameters that a definition lacks: those of the last
// way of giving the server (host and database, say) that are not given,
// each naming the first way (a url or dsn) as the other choice.
func missing(typ string, alternatives [][]string, params map[string]string) Problems {
	fields := alternatives[len(alternatives)-1]
	var instead []string
	if len(alternatives) > 1 {
		instead = alternatives[0]
	}
	var out Problems
	for _, p := range fields {
		if params[p] == "" {
			out = append(out, Problem{Param: p, Rule: "is required for " + article(TypeTitle(typ)) + " " + TypeTitle(typ) + " connection", Instead: instead})
		}
	}
	return out
}

// checkParam returns the rule that a parameter's value breaks, "" when it
// breaks none.
func checkParam(typ, name, value string) string {
	switch name {
	case "port":
		if n, err := strconv.Atoi(value); err != nil || n < 1 || n > 65535 {
			return "must be a whole number from 1 to 65535"
		}
	case "pool_size":
		if n, err := strconv.Atoi(value); err != nil || n < 1 || n > maxPoolSize {
			return fmt.Sprintf("must be a whole number from 1 to %d", maxPoolSize)
		}
	case "database":
		if typ == "redis" {
			if n, err := strconv.Atoi(value); err != nil || n < 0 {
				return "must be a Redis database number: 0, 1, 2…"
			}
		}
	case "tls", "strict", "autopipeline", "prepare":
		if _, _, err := scopes.CanonicalSetting(scopes.SessionCluster, value); err != nil {
			return "must be true or false"
		}
	case "mode":
		if value != "standalone" && value != "sentinel" && value != "cluster" {
			return "must be standalone, sentinel or cluster"
		}
	case "timeout":
		if typ == "redis" {
			// Redis answers fast: its timeout may be under a second.
			if _, err := redis.ParseTimeout(value); err != nil {
				return err.Error()
			}
			break
		}
		if _, err := scopes.ParseTimeout(value); err != nil {
			return "must be a whole number of seconds from 1s, such as 2s, 10s or 1m"
		}
	case "replica_timeout":
		if d, err := time.ParseDuration(value); err != nil || d < 10*time.Millisecond || d > time.Minute {
			return "must be a time from 10ms to 1m, such as 500ms or 1s"
		}
	case "min_replicas_acked":
		if n, err := strconv.Atoi(value); err != nil || n < 0 || n > 16 {
			return "must be a whole number from 0 (do not wait) to 16"
		}
	case "dsn":
		if _, _, err := splitPassword(typ, name, value); err != nil {
			return "must be a go-sql-driver DSN such as user@tcp(127.0.0.1:3306)/sessions"
		}
	case "url":
		if typ == "postgres" && !strings.Contains(value, "://") {
			// libpq's keyword/value form, which pgx reads as well.
			if _, err := pgx.ParseConfig(value); err != nil {
				return "must be a URL such as " + exampleURL(typ) + ", or keyword=value pairs such as host=127.0.0.1 dbname=sessions"
			}
			break
		}
		u, err := url.Parse(value)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return "must be a URL such as " + exampleURL(typ)
		}
		if want := urlSchemes[typ]; len(want) > 0 && !slices.Contains(want, u.Scheme) {
			return "must start with " + strings.Join(want, ":// or ") + "://"
		}
		if typ == "couchdb" && strings.Trim(u.Path, "/") == "" {
			return "must name the database, as in " + exampleURL(typ)
		}
	}
	return ""
}

// maxPoolSize bounds a pool: more connections than this would rather
// exhaust the server than help.
const maxPoolSize = 10000

var urlSchemes = map[string][]string{
	"redis":     {"redis", "rediss"},
	"postgres":  {"postgres", "postgresql"},
	"couchbase": {"couchbase", "couchbases"},
	"couchdb":   {"http", "https"},
}

func exampleURL(typ string) string {
	switch typ {
	case "redis":
		return "redis://127.0.0.1:6379/0"
	case "postgres":
		return "postgres://user@127.0.0.1:5432/db"
	case "couchdb":
		return "http://127.0.0.1:5984/sessions"
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

// article is the indefinite article before a type's title: "a MySQL", "an RAM".
func article(title string) string {
	if title != "" && strings.ContainsRune("AEIOU", rune(title[0])) {
		return "an"
	}
	return "a"
}
