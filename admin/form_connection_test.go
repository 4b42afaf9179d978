package admin

import (
	"net/url"
	"testing"
)

// The connection form takes a time as people write it, spaces and all,
// and keeps it as the connection manager reads it.
func TestConnectionFormReadsTimeouts(t *testing.T) {
	for typed, want := range map[string]string{
		"500ms":    "500ms",
		" 500 ms":  "500ms",
		"1.5 s":    "1.5s",
		"2s":       "2s",
		"1 m 30 s": "1m30s",
		"   ":      "",
	} {
		f := readConnectionForm(fuzzContext(url.Values{"name": {"c"}, "host": {"h"}, "timeout": {typed}, "replica_timeout": {typed}}, ""), kindCache, "redis")
		if got := f.Params["timeout"]; got != want {
			t.Errorf("timeout typed %q read as %q, want %q", typed, got, want)
		}
		if got := f.Params["replica_timeout"]; got != want {
			t.Errorf("replica_timeout typed %q read as %q, want %q", typed, got, want)
		}
		if !f.validate() {
			t.Errorf("timeout %q: form refused: %v", typed, f.Errors)
		}
	}
}

// The boxes ticked by default (Redis autopipelining, MySQL prepared
// statements) are checked on a new form; checked they store nothing (the
// default; autopipelining's is off in mode cluster), unchecked they store
// false.
func TestConnectionFormBoxesOnByDefault(t *testing.T) {
	for _, tc := range []struct {
		kind, typ, param string
		form             url.Values
	}{
		{kindCache, "redis", "autopipeline", url.Values{"name": {"c"}, "host": {"h"}}},
		{kindDatasource, "mysql", "prepare", url.Values{"name": {"d"}, "host": {"h"}, "database": {"sessions"}}},
	} {
		if !newConnectionForm(tc.kind, tc.typ).checked(tc.param) {
			t.Errorf("a new %s form has %s unchecked", tc.typ, tc.param)
		}
		for box, want := range map[string]string{"on": "", "": "false"} {
			form := url.Values{}
			for k, v := range tc.form {
				form[k] = v
			}
			if box != "" {
				form.Set(tc.param, box)
			}
			f := readConnectionForm(fuzzContext(form, ""), tc.kind, tc.typ)
			if got, ok := f.Params[tc.param]; got != want || (want == "" && ok) {
				t.Errorf("%s box %q: %s stored as %q (set %v), want %q", tc.typ, box, tc.param, got, ok, want)
			}
			if !f.validate() {
				t.Errorf("%s box %q: form refused: %v", tc.typ, box, f.Errors)
			}
			if f.checked(tc.param) != (box != "") {
				t.Errorf("%s box %q: shown again checked %v", tc.typ, box, f.checked(tc.param))
			}
		}
	}
}
