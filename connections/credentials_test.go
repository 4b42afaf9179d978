package connections

import (
	"errors"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

func TestSplitPassword(t *testing.T) {
	cases := []struct {
		name, typ, param, value string
		wantValue, wantPassword string
		wantErr                 bool
	}{
		{"redis userinfo", "redis", "url", "redis://:s3cret@127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", "s3cret", false},
		{"redis user and password", "redis", "url", "redis://app:s3cret@127.0.0.1:6379/0", "redis://app@127.0.0.1:6379/0", "s3cret", false},
		{"redis escaped @ and :", "redis", "url", "rediss://:p%40ss%3Aw@h:6380/1", "rediss://h:6380/1", "p@ss:w", false},
		{"redis query", "redis", "url", "redis://h:6379/0?password=s3cret", "redis://h:6379/0", "s3cret", false},
		{"redis query among others", "redis", "url", "redis://h:6379/0?dial_timeout=3s&password=p%26w&db=1", "redis://h:6379/0?dial_timeout=3s&db=1", "p&w", false},
		{"redis both, same", "redis", "url", "redis://:pw12@h/0?password=pw12", "redis://h/0", "pw12", false},
		{"redis both, different", "redis", "url", "redis://:pw12@h/0?password=other", "", "", true},
		{"redis cluster url", "redis", "url", "redis://:s3cret@h1:7000?addr=h2:7001", "redis://h1:7000?addr=h2:7001", "s3cret", false},
		{"redis no password", "redis", "url", "redis://app@h:6379/0", "redis://app@h:6379/0", "", false},
		{"redis host only", "redis", "host", "h1,h2", "h1,h2", "", false},
		{"couchbase userinfo", "couchbase", "url", "couchbase://admin:s3cret@cb1", "couchbase://admin@cb1", "s3cret", false},
		{"postgres userinfo", "postgres", "url", "postgres://app:p%40ss@db:5432/x?sslmode=disable", "postgres://app@db:5432/x?sslmode=disable", "p@ss", false},
		{"postgres query", "postgres", "url", "postgresql://app@db/x?password=s3cret&sslmode=disable", "postgresql://app@db/x?sslmode=disable", "s3cret", false},
		{"postgres keyword/value", "postgres", "url", "host=db user=app password=s3cret dbname=x", "host=db user=app dbname=x", "s3cret", false},
		{"postgres keyword/value quoted", "postgres", "url", `host=db password = 'p@ss w\'d:' dbname='my db'`, "host=db dbname='my db'", "p@ss w'd:", false},
		{"postgres keyword/value escaped", "postgres", "url", `password=a\ b\\c host=db`, "host=db", `a b\c`, false},
		{"postgres keyword/value unterminated", "postgres", "url", "host=db password='oops", "", "", true},
		{"postgres keyword/value no password", "postgres", "url", "host=db dbname=x", "host=db dbname=x", "", false},
		{"mysql", "mysql", "dsn", "root:pw@tcp(127.0.0.1:3306)/rsessions", "root@tcp(127.0.0.1:3306)/rsessions", "pw", false},
		{"mysql @ and : in password", "mysql", "dsn", "app:p@ss:w@rd@tcp(127.0.0.1:3306)/db?parseTime=true", "app@tcp(127.0.0.1:3306)/db?parseTime=true", "p@ss:w@rd", false},
		{"mysql scheme", "mysql", "dsn", "mysql://app:p@ss@tcp(h:3306)/db", "mysql://app@tcp(h:3306)/db", "p@ss", false},
		{"mysql password param", "mysql", "dsn", "app@tcp(h:3306)/db?charset=utf8mb4&password=p%40ss", "app@tcp(h:3306)/db?charset=utf8mb4", "p@ss", false},
		{"mysql password param alone", "mysql", "dsn", "app@tcp(h:3306)/db?password=s3cret", "app@tcp(h:3306)/db", "s3cret", false},
		{"mysql both, different", "mysql", "dsn", "app:one1@tcp(h:3306)/db?password=two2", "", "", true},
		{"mysql no password", "mysql", "dsn", "root@tcp(127.0.0.1:3306)/rsessions", "root@tcp(127.0.0.1:3306)/rsessions", "", false},
		{"mysql not a dsn", "mysql", "dsn", "app:pw@tcp(h:3306", "", "", true},
		{"mysql url param is not read", "mysql", "url", "redis://:pw@h", "redis://:pw@h", "", false},
		{"memcached", "memcached", "servers", "h1:11211,h2:11211", "h1:11211,h2:11211", "", false},
		{"sqlite", "sqlite", "file", "/var/lib/scopes@1.db", "/var/lib/scopes@1.db", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, password, err := splitPassword(c.typ, c.param, c.value)
			if c.wantErr {
				if err == nil {
					t.Fatalf("no error; value %q, password %q", got, password)
				}
				if strings.Contains(err.Error(), "pw") || strings.Contains(err.Error(), "two2") || strings.Contains(err.Error(), "oops") {
					t.Errorf("the error quotes the value: %v", err)
				}
				return
			}
			if err != nil || got != c.wantValue || password != c.wantPassword {
				t.Errorf("got %q, %q, %v; want %q, %q", got, password, err, c.wantValue, c.wantPassword)
			}
		})
	}
}

func TestValidateTakesEveryPassword(t *testing.T) {
	cases := []struct {
		typ, param, value, wantPassword string
	}{
		{"redis", "url", "redis://:s3cret@127.0.0.1:6379/0", "s3cret"},
		{"redis", "url", "redis://127.0.0.1:6379/0?password=s3cret", "s3cret"},
		{"couchbase", "url", "couchbase://admin:s3cret@cb1", "s3cret"},
		{"postgres", "url", "postgres://app:s3cret@db:5432/x", "s3cret"},
		{"postgres", "url", "postgres://app@db:5432/x?password=s3cret", "s3cret"},
		{"postgres", "url", "host=db user=app password=s3cret dbname=x", "s3cret"},
		{"mysql", "dsn", "app:s3@cr:et@tcp(127.0.0.1:3306)/db", "s3@cr:et"},
		{"mysql", "dsn", "app@tcp(127.0.0.1:3306)/db?password=s3cret", "s3cret"},
	}
	for _, c := range cases {
		params := map[string]string{c.param: c.value}
		if c.typ == "couchbase" {
			params["bucket"] = "b"
		}
		conn := scopes.Connection{Name: "c1", Type: c.typ, Params: params}
		if err := Validate(&conn); err != nil {
			t.Errorf("%s: %v", c.value, err)
			continue
		}
		if conn.Secret != c.wantPassword || strings.Contains(conn.Params[c.param], c.wantPassword) {
			t.Errorf("%s: param %q, secret %q", c.value, conn.Params[c.param], conn.Secret)
		}
		// The same password given apart too is no conflict.
		conn = scopes.Connection{Name: "c1", Type: c.typ, Params: map[string]string{c.param: c.value, "bucket": params["bucket"]}, Secret: c.wantPassword}
		if err := Validate(&conn); err != nil || conn.Secret != c.wantPassword {
			t.Errorf("%s with the same password apart: %v, secret %q", c.value, err, conn.Secret)
		}
		// A different one is refused, naming the param, quoting neither.
		conn = scopes.Connection{Name: "c1", Type: c.typ, Params: map[string]string{c.param: c.value, "bucket": params["bucket"]}, Secret: "other-password"}
		err := Validate(&conn)
		var ps Problems
		if scopes.ErrorCode(err) != scopes.EInvalid || !errors.As(err, &ps) || len(ps) != 1 || ps[0].Param != c.param {
			t.Errorf("%s with another password apart: %v", c.value, err)
			continue
		}
		if msg := scopes.ErrorMessage(err); !strings.Contains(msg, "give the password once") ||
			strings.Contains(msg, c.wantPassword) || strings.Contains(msg, "other-password") {
			t.Errorf("%s: message %q", c.value, msg)
		}
	}
	// A dsn that does not parse is refused without quoting it.
	conn := scopes.Connection{Name: "c1", Type: "mysql", Params: map[string]string{"dsn": "app:s3cret@tcp(h:3306"}}
	if err := Validate(&conn); scopes.ErrorCode(err) != scopes.EInvalid || strings.Contains(scopes.ErrorMessage(err), "s3cret") {
		t.Errorf("bad dsn: %v", err)
	}
}

func TestStoredPassword(t *testing.T) {
	cases := []struct {
		typ, param, value, secret string
		wantValue, wantSecret     string
		wantMoved                 bool
	}{
		{"mysql", "dsn", "app:p@ss@tcp(h:3306)/db", "", "app@tcp(h:3306)/db", "p@ss", true},
		// The driver used the dsn's password before the one apart.
		{"mysql", "dsn", "app:p@ss@tcp(h:3306)/db", "old1", "app@tcp(h:3306)/db", "p@ss", true},
		{"postgres", "url", "postgres://app:pw12@db/x", "old1", "postgres://app@db/x", "pw12", true},
		// On Redis the one apart won.
		{"redis", "url", "redis://:pw12@h/0", "old1", "redis://h/0", "old1", true},
		{"redis", "url", "redis://h/0", "old1", "redis://h/0", "old1", false},
		{"sqlite", "file", "x.db", "", "x.db", "", false},
	}
	for _, c := range cases {
		in := scopes.Connection{Name: "c1", Type: c.typ, Params: map[string]string{c.param: c.value}, Secret: c.secret}
		got, moved := StoredPassword(in)
		if moved != c.wantMoved || got.Params[c.param] != c.wantValue || got.Secret != c.wantSecret {
			t.Errorf("%s: %v %q %q", c.value, moved, got.Params[c.param], got.Secret)
		}
		if in.Params[c.param] != c.value {
			t.Errorf("%s: the connection given was changed", c.value)
		}
	}
}

func TestShownParam(t *testing.T) {
	for _, c := range []struct{ typ, param, value, want string }{
		{"redis", "url", "redis://u:pw12@h:1/0", "redis://u@h:1/0"},
		{"mysql", "dsn", "root:p@ss@tcp(h:3306)/db", "root@tcp(h:3306)/db"},
		{"mysql", "dsn", "root:p@ss@tcp(h:3306", "(hidden: it does not parse, and may hold a password)"},
		{"postgres", "url", "postgres://a@h/db", "postgres://a@h/db"},
		{"redis", "url", "redis://:one1@h?password=two2", "(hidden: it does not parse, and may hold a password)"},
		{"redis", "prefix", "a:b@c", "a:b@c"},
	} {
		if got := shownParam(c.typ, c.param, c.value); got != c.want {
			t.Errorf("shownParam(%s, %q) = %q; want %q", c.param, c.value, got, c.want)
		}
	}
}

func TestWithoutPassword(t *testing.T) {
	err := withoutPassword(&scopes.Error{Code: scopes.EUnavailable, Message: "cannot reach redis://:s3cret@h", Err: errors.New("dial redis://:s3cret@h")}, "s3cret")
	if scopes.ErrorCode(err) != scopes.EUnavailable || strings.Contains(err.Error(), "s3cret") || strings.Contains(scopes.ErrorMessage(err), "s3cret") {
		t.Errorf("coded: %v / %s", err, scopes.ErrorMessage(err))
	}
	err = withoutPassword(errors.New("driver: bad password s3cret"), "s3cret")
	if scopes.ErrorCode(err) != scopes.EInternal || err.Error() != "driver: bad password ********" {
		t.Errorf("plain: %v", err)
	}
	plain := errors.New("refused")
	if got := withoutPassword(plain, "s3cret"); got.Error() != "refused" || !errors.Is(got, plain) || withoutPassword(nil, "s3cret") != nil {
		t.Error("an error without the password is changed")
	}
}
