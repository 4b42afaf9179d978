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

// The autopipeline box is checked on a new Redis form; checked it stores
// nothing (the default, which is off in mode cluster), unchecked it stores
// false.
func TestConnectionFormAutopipeline(t *testing.T) {
	if !newConnectionForm(kindCache, "redis").checked("autopipeline") {
		t.Error("a new Redis form has autopipelining unchecked")
	}
	for box, want := range map[string]string{"on": "", "": "false"} {
		form := url.Values{"name": {"c"}, "host": {"h"}}
		if box != "" {
			form.Set("autopipeline", box)
		}
		f := readConnectionForm(fuzzContext(form, ""), kindCache, "redis")
		if got, ok := f.Params["autopipeline"]; got != want || (want == "" && ok) {
			t.Errorf("box %q: autopipeline stored as %q (set %v), want %q", box, got, ok, want)
		}
		if !f.validate() {
			t.Errorf("box %q: form refused: %v", box, f.Errors)
		}
		if f.checked("autopipeline") != (box != "") {
			t.Errorf("box %q: shown again checked %v", box, f.checked("autopipeline"))
		}
	}
}
