package connections

import (
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

func TestValidateMovesPasswordsOutOfParams(t *testing.T) {
	cases := []struct {
		typ, param, value, wantValue, wantSecret string
	}{
		{"redis", "url", "redis://user:s3cret@127.0.0.1:6379/0", "redis://user@127.0.0.1:6379/0", "s3cret"},
		{"redis", "url", "redis://:s3cret@127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", "s3cret"},
		{"postgres", "url", "postgres://app:p%40ss@db:5432/x", "postgres://app@db:5432/x", "p@ss"},
		{"mysql", "dsn", "root:pw@tcp(127.0.0.1:3306)/rsessions", "root@tcp(127.0.0.1:3306)/rsessions", "pw"},
		{"mysql", "dsn", "root@tcp(127.0.0.1:3306)/rsessions", "root@tcp(127.0.0.1:3306)/rsessions", ""},
	}
	for _, c := range cases {
		conn := scopes.Connection{Name: "c1", Type: c.typ, Params: map[string]string{c.param: c.value}}
		if err := Validate(&conn); err != nil {
			t.Fatalf("%s: %v", c.value, err)
		}
		if conn.Params[c.param] != c.wantValue || conn.Secret != c.wantSecret {
			t.Errorf("%s: param %q, secret %q; want %q, %q", c.value, conn.Params[c.param], conn.Secret, c.wantValue, c.wantSecret)
		}
	}
	conn := scopes.Connection{Name: "c1", Type: "redis", Secret: "other", Params: map[string]string{"url": "redis://:s3cret@h:1/0"}}
	if err := Validate(&conn); err == nil || !strings.Contains(scopes.ErrorMessage(err), "give the password once") {
		t.Fatalf("two passwords: %v", err)
	}
}
