package web

import (
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

func TestDecodeDataBody(t *testing.T) {
	ok := []struct{ in, want string }{
		{`{"data":{}}`, `{}`},
		{` { "data" : { "a" : [1, {"b":"}]\"{"}], "c": "x y" } } `, `{"a":[1,{"b":"}]\"{"}],"c":"x y"}`},
		{`{"d\u0061ta":{"n":-1.5e3}}`, `{"n":-1.5e3}`},
	}
	for _, c := range ok {
		data, present, err := decodeDataBody([]byte(c.in))
		if err != nil || !present || string(data) != c.want {
			t.Errorf("%s: %s, %v, %v; want %s", c.in, data, present, err, c.want)
		}
	}
	if _, present, err := decodeDataBody([]byte(`{}`)); err != nil || present {
		t.Errorf("{}: present %v, %v", present, err)
	}
	for _, bad := range []string{`{"data":`, `{"data":[1]}`, `{"data":"x"}`, `{"data":null}`, `{"data":{},"version":3}`,
		`{"data":{}} {}`, `[1]`, `"x"`, `{"data":{}`, `{"data":{"a":1,}}`} {
		if _, _, err := decodeDataBody([]byte(bad)); scopes.ErrorCode(err) != scopes.EInvalid {
			t.Errorf("%s: %v; want an invalid error", bad, err)
		}
	}
}
