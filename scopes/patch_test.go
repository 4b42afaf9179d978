package scopes

import (
	"encoding/json"
	"testing"
)

func TestPatchApply(t *testing.T) {
	cases := []struct {
		name, data, patch, want, code string
	}{
		{"set and unset", `{"a":1,"b":2}`, `{"set":{"c":{"d":[1]}},"unset":["b","missing"]}`, `{"a":1,"c":{"d":[1]}}`, ""},
		{"incr an integer", `{"n":41}`, `{"incr":{"n":1}}`, `{"n":42}`, ""},
		{"incr a missing key starts at 0", `{}`, `{"incr":{"n":-3}}`, `{"n":-3}`, ""},
		{"incr a float", `{"n":1.5}`, `{"incr":{"n":1}}`, `{"n":2.5}`, ""},
		{"incr by a float", `{"n":1}`, `{"incr":{"n":0.25}}`, `{"n":1.25}`, ""},
		{"incr past int64 becomes a float", `{"n":9223372036854775807}`, `{"incr":{"n":1}}`, `{"n":9223372036854776000}`, ""},
		{"incr a string conflicts", `{"n":"7"}`, `{"incr":{"n":1}}`, "", EConflict},
		{"incr an object conflicts", `{"n":{}}`, `{"incr":{"n":1}}`, "", EConflict},
		{"incr null conflicts", `{"n":null}`, `{"incr":{"n":1}}`, "", EConflict},
		{"keys come out sorted", `{"b":1,"a":2}`, `{"set":{"c":3}}`, `{"a":2,"b":1,"c":3}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p Patch
			if err := json.Unmarshal([]byte(c.patch), &p); err != nil {
				t.Fatal(err)
			}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			got, err := p.Apply(json.RawMessage(c.data))
			if ErrorCode(err) != c.code {
				t.Fatalf("err %v, want code %q", err, c.code)
			}
			if c.code == "" && string(got) != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestPatchValidate(t *testing.T) {
	bad := []string{
		`{}`,
		`{"set":{"a":1},"unset":["a"]}`,
		`{"set":{"a":1},"incr":{"a":1}}`,
		`{"unset":[""]}`,
		`{"incr":{"a":"x"}}`,
	}
	for _, b := range bad {
		var p Patch
		if err := json.Unmarshal([]byte(b), &p); err != nil {
			continue // not even a patch: also refused, by the decoder
		}
		if err := p.Validate(); ErrorCode(err) != EInvalid {
			t.Errorf("Validate(%s) = %v; want an invalid error", b, err)
		}
	}
}
