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
	if err := Validate(&conn); err == nil || !strings.Contains(scopes.ErrorMessage(err), "give it once") {
		t.Fatalf("two passwords: %v", err)
	}
}

func TestMaskParam(t *testing.T) {
	for in, want := range map[string][2]string{
		"redis://u:pw@h:1/0":     {"url", "redis://u:xxxxx@h:1/0"},
		"root:pw@tcp(h:3306)/db": {"dsn", "root:xxxxx@tcp(h:3306)/db"},
		"root@tcp(h:3306)/db":    {"dsn", "root@tcp(h:3306)/db"},
		"postgres://a@h/db":      {"url", "postgres://a@h/db"},
	} {
		if got := maskParam(want[0], in); got != want[1] || strings.Contains(got, "pw") {
			t.Errorf("maskParam(%s, %q) = %q; want %q", want[0], in, got, want[1])
		}
	}
}
