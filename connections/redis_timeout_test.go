package connections

import (
	"errors"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// A Redis connection takes a timeout under a second; the other types keep
// whole seconds.
func TestValidateRedisTimeout(t *testing.T) {
	for _, c := range []struct {
		typ, timeout string
		rule         string // "" when accepted
	}{
		{"redis", "500ms", ""},
		{"redis", "1.5s", ""},
		{"redis", "2", ""},
		{"redis", "0s", "must be longer than zero, such as 500ms or 2s: it is how long each read and write waits for Redis"},
		{"redis", "-1s", "must be longer than zero, such as 500ms or 2s: it is how long each read and write waits for Redis"},
		{"redis", "5m", "must be at most 1m: a longer wait holds every request that long when Redis does not answer"},
		{"redis", "90d", "must be a time with its unit, such as 500ms, 1.5s or 2s"},
		{"memcached", "2s", ""},
		{"memcached", "500ms", "must be a whole number of seconds from 1s, such as 2s, 10s or 1m"},
	} {
		t.Run(c.typ+" "+c.timeout, func(t *testing.T) {
			conn := scopes.Connection{Name: "c", Type: c.typ, Params: map[string]string{"timeout": c.timeout}}
			conn.Params[map[string]string{"redis": "host", "memcached": "servers"}[c.typ]] = "127.0.0.1"
			err := Validate(&conn)
			rules := map[string][]string{}
			var ps Problems
			if errors.As(err, &ps) {
				rules = ps.ByParam()
			}
			switch {
			case c.rule == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.rule != "" && (len(rules["timeout"]) != 1 || rules["timeout"][0] != c.rule):
				t.Errorf("rules %q (%v), want %q", rules["timeout"], err, c.rule)
			}
		})
	}
}
