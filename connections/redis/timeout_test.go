package redis

import (
	"strings"
	"testing"
	"time"
)

func TestParseTimeout(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		rule string // a part of the refusal; "" when accepted
	}{
		{"500ms", 500 * time.Millisecond, ""},
		{"1.5s", 1500 * time.Millisecond, ""},
		{"2s", 2 * time.Second, ""},
		{" 10ms ", 10 * time.Millisecond, ""},
		{"1m", time.Minute, ""},
		{"3", 3 * time.Second, ""}, // whole seconds, as older versions wrote them
		{"0", 0, "longer than zero"},
		{"0s", 0, "longer than zero"},
		{"-1s", 0, "longer than zero"},
		{"-5", 0, "longer than zero"},
		{"5ms", 0, "at least 10ms"},
		{"61s", 0, "at most 1m"},
		{"2h", 0, "at most 1m"},
		{"9999999999999", 0, "at most 1m"},
		{"90d", 0, "a time with its unit"},
		{"1d12h", 0, "a time with its unit"},
		{"fast", 0, "a time with its unit"},
		{"", 0, "a time with its unit"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseTimeout(c.in)
			switch {
			case c.rule == "" && (err != nil || got != c.want):
				t.Errorf("ParseTimeout(%q) = %v, %v; want %v", c.in, got, err, c.want)
			case c.rule != "" && (err == nil || !strings.Contains(err.Error(), c.rule) || !strings.HasPrefix(err.Error(), "must ")):
				t.Errorf("ParseTimeout(%q) = %v, %v; want a refusal that says %q", c.in, got, err, c.rule)
			}
		})
	}
}

// A connection stored by an older version, with a scope timeout such as
// 5m, still opens; a new one cannot be given it (connections.Validate).
func TestOpenTakesLegacyTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{"5m": 5 * time.Minute, "250ms": 250 * time.Millisecond, "1d": 24 * time.Hour} {
		if got, err := timeoutParam(in); err != nil || got != want {
			t.Errorf("timeoutParam(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := timeoutParam("0"); err == nil {
		t.Error("timeoutParam(0) took it")
	}
}
