package connections

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/scopestore/scopestore/scopes"
)

// A password may be written into a connection's url or dsn as well as given
// apart. Wherever it was written, it is moved to the connection's Secret,
// which the config store keeps encrypted, and the url or dsn is kept and
// shown without it; the store puts it back only when it opens the
// connection (see OpenStore).

// passwordParams are the params that may hold a password, by connection
// type: each is read as its driver reads it.
var passwordParams = map[string]string{"redis": "url", "couchbase": "url", "couchdb": "url", "postgres": "url", "mysql": "dsn"}

// errTwoPasswords is a url or dsn that holds two different passwords.
var errTwoPasswords = errors.New("holds two different passwords")

// splitPassword returns the value of a connection's param without the
// password written into it, and that password ("" when it holds none).
// An error says why the value does not parse; it never quotes the value.
func splitPassword(typ, param, value string) (string, string, error) {
	if value == "" || passwordParams[typ] != param {
		return value, "", nil
	}
	switch {
	case typ == "mysql":
		return splitMySQLPassword(value)
	case typ == "postgres" && !strings.Contains(value, "://"):
		return splitKeywordPassword(value)
	}
	return splitURLPassword(value)
}

// splitURLPassword splits a redis://, postgres:// or couchbase:// URL: the
// password of its user info (redis://:pw@host, postgres://user:pw@host)
// and a password query parameter (?password=pw), which pgx reads.
func splitURLPassword(raw string) (string, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the URL
		}
		return raw, "", err
	}
	var password string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			password = pw
			if name := u.User.Username(); name != "" {
				u.User = url.User(name)
			} else {
				u.User = nil
			}
		}
	}
	query, pw, err := dropPasswordField(u.RawQuery, url.QueryUnescape)
	if err != nil {
		return raw, "", err
	}
	if pw != "" {
		if password != "" && password != pw {
			return raw, "", errTwoPasswords
		}
		password, u.RawQuery = pw, query
		u.ForceQuery = false
	}
	if password == "" {
		return raw, "", nil
	}
	return u.String(), password, nil
}

// splitMySQLPassword splits a go-sql-driver DSN,
// [mysql://][user[:password]@][net[(addr)]]/dbname[?params], as
// mysql.ParseDSN reads it: the user info ends at the last '@' before the
// database, so that a password may hold '@' and ':'. A password=…
// parameter is taken too: the driver would send it to the server as a
// system variable, which would change the user's password.
func splitMySQLPassword(value string) (string, string, error) {
	scheme, dsn := "", value
	if rest, ok := strings.CutPrefix(value, "mysql://"); ok {
		scheme, dsn = "mysql://", rest
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return value, "", err
	}
	password := cfg.Passwd
	if password != "" {
		userInfo := cfg.User + ":" + password
		if !strings.HasPrefix(dsn, userInfo+"@") {
			return value, "", fmt.Errorf("the user name and password are not where the driver expects them")
		}
		dsn = cfg.User + dsn[len(userInfo):]
	}
	if pw, ok := cfg.Params["password"]; ok {
		slash := strings.LastIndex(dsn, "/")
		path, query, _ := strings.Cut(dsn[slash:], "?")
		query, _, err := dropPasswordField(query, url.QueryUnescape)
		if err != nil {
			return value, "", err
		}
		if password != "" && password != pw {
			return value, "", errTwoPasswords
		}
		password, dsn = pw, dsn[:slash]+path
		if query != "" {
			dsn += "?" + query
		}
	}
	return scheme + dsn, password, nil
}

// dropPasswordField removes the password=… fields of a query string,
// keeping the others as written, and returns the password, unescaped.
func dropPasswordField(query string, unescape func(string) (string, error)) (string, string, error) {
	if query == "" {
		return query, "", nil
	}
	var kept []string
	var password string
	for _, field := range strings.Split(query, "&") {
		key, value, _ := strings.Cut(field, "=")
		if key != "password" {
			kept = append(kept, field)
			continue
		}
		pw, err := unescape(value)
		if err != nil {
			return query, "", errors.New("the password parameter is not escaped as a URL's query")
		}
		if password != "" && password != pw {
			return query, "", errTwoPasswords
		}
		password = pw
	}
	return strings.Join(kept, "&"), password, nil
}

// splitKeywordPassword splits a libpq keyword/value string, host=h
// user=u password=pw dbname=db, read as pgx reads it: a value is 'quoted'
// or bare, and a backslash escapes the next character in both.
func splitKeywordPassword(s string) (string, string, error) {
	const space = " \t\n\r\v\f"
	var kept []string
	var password string
	for rest := strings.TrimLeft(s, space); rest != ""; rest = strings.TrimLeft(rest, space) {
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			return s, "", errors.New("a keyword has no '=': write keyword=value pairs such as host=127.0.0.1 dbname=sessions")
		}
		key := strings.Trim(rest[:eq], space)
		value := strings.TrimLeft(rest[eq+1:], space)
		quoted := strings.HasPrefix(value, "'")
		end := 0
		if quoted {
			end = 1
		}
		for ; end < len(value); end++ {
			c := value[end]
			if quoted && c == '\'' || !quoted && strings.IndexByte(space, c) >= 0 {
				break
			}
			if c == '\\' {
				end++
			}
		}
		end = min(end, len(value))
		raw := value[:end]
		if quoted {
			if end == len(value) {
				return s, "", errors.New("a quoted value has no closing quote")
			}
			raw, end = value[1:end], end+1
		}
		pair := rest[:len(rest)-len(value)+end]
		rest = value[end:]
		if key != "password" {
			kept = append(kept, pair)
			continue
		}
		var pw strings.Builder
		for i := 0; i < len(raw); i++ {
			if raw[i] == '\\' {
				if i++; i == len(raw) {
					break // pgx drops a trailing backslash
				}
			}
			pw.WriteByte(raw[i])
		}
		if password != "" && password != pw.String() {
			return s, "", errTwoPasswords
		}
		password = pw.String()
	}
	if password == "" {
		return s, "", nil
	}
	return strings.Join(kept, " "), password, nil
}

// takePassword moves a password written into c's url or dsn to c.Secret.
// A definition being saved (stored false) that gives a different password
// apart is refused with a Problem. A stored one, written by a version that
// kept the password in the url or dsn, keeps the password its driver used:
// the DSN's on MySQL and PostgreSQL, the one apart on Redis.
func takePassword(c *scopes.Connection, stored bool) *Problem {
	param := passwordParams[c.Type]
	clean, password, err := splitPassword(c.Type, param, c.Params[param])
	switch {
	case errors.Is(err, errTwoPasswords):
		return &Problem{Param: param, Rule: "holds two different passwords: give the password once, in one place"}
	case err != nil || password == "":
		// A value that does not parse is reported by checkParam, without
		// quoting it.
		return nil
	}
	c.Params[param] = clean
	switch {
	case c.Secret == "" || c.Secret == password:
		c.Secret = password
	case !stored:
		return &Problem{Param: param, Rule: "holds a password and a different password was given apart: " +
			"give the password once, in one place (the password field, --password or --password-stdin is best)"}
	case c.Type == "mysql" || c.Type == "postgres":
		c.Secret = password
	}
	return nil
}

// StoredPassword returns a stored connection with a password that an older
// version kept inside its url or dsn moved to its Secret, and whether there
// was one to move. The config store runs it over its rows when it opens,
// so that every such password ends encrypted; OpenStore and the manager's
// lists run it too, for a row written since by an older instance.
func StoredPassword(c scopes.Connection) (scopes.Connection, bool) {
	param := passwordParams[c.Type]
	if c.Params[param] == "" {
		return c, false
	}
	moved := c
	moved.Params = make(map[string]string, len(c.Params))
	for k, v := range c.Params {
		moved.Params[k] = v
	}
	takePassword(&moved, true)
	if moved.Params[param] == c.Params[param] {
		return c, false
	}
	return moved, true
}

// shownParam is a param's value as a list, a page or the audit log may
// show it: without a password, and masked whole when it does not parse, so
// that a password is never shown from where it could not be found.
func shownParam(typ, param, value string) string {
	clean, _, err := splitPassword(typ, param, value)
	if err != nil && strings.ContainsAny(value, "@=") {
		return "(hidden: it does not parse, and may hold a password)"
	}
	return clean
}

// minMaskedPassword is the shortest password masked in messages: a shorter
// one would mask ordinary words and hide nothing worth hiding.
const minMaskedPassword = 4

// withoutPassword returns err, or when its message quotes the password
// (a driver may echo what it was given), an error of the same code whose
// message has the password masked.
func withoutPassword(err error, password string) error {
	if err == nil || len(password) < minMaskedPassword {
		return err
	}
	msg, full := scopes.ErrorMessage(err), err.Error()
	if !strings.Contains(full, password) && !strings.Contains(msg, password) {
		return err
	}
	mask := func(s string) string { return strings.ReplaceAll(s, password, "********") }
	masked := errors.New(mask(full))
	if code := scopes.ErrorCode(err); code != scopes.EInternal {
		return &scopes.Error{Code: code, Message: mask(msg), Err: masked}
	}
	return masked
}
