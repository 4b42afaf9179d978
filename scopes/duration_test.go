package scopes

import (
	"strings"
	"testing"
	"time"
)

func TestParseTimeout(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30m", 30 * time.Minute, true},
		{"90d", 90 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"1800", 30 * time.Minute, true},
		{"0,0,30,0", 30 * time.Minute, true},
		{"1, 2, 3, 4", 24*time.Hour + 2*time.Hour + 3*time.Minute + 4*time.Second, true},
		{" 45s ", 45 * time.Second, true},
		{"3650d", MaxTimeout, true},
		{"3651d", 0, false},
		{"0", 0, false},
		{"0s", 0, false},
		{"500ms", 0, false},
		{"1.5s", 0, false},
		{"-5m", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{"d", 0, false},
		{"1,2,3", 0, false},
	}
	for _, c := range cases {
		got, err := ParseTimeout(c.in)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("ParseTimeout(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if !c.ok && err == nil {
			t.Errorf("ParseTimeout(%q) = %v; want an error", c.in, got)
		}
	}
}

func TestFormatTimeoutRoundTrips(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 30 * time.Minute, 90 * time.Minute, 36 * time.Hour, 90 * 24 * time.Hour, 24*time.Hour + time.Second} {
		s := FormatTimeout(d)
		back, err := ParseTimeout(s)
		if err != nil || back != d {
			t.Errorf("%v formats as %q, which parses as %v, %v", d, s, back, err)
		}
	}
	if got := FormatTimeout(90 * 24 * time.Hour); got != "90d" {
		t.Errorf("FormatTimeout(90d) = %q", got)
	}
}

// A timeout too large for a time.Duration is out of range, never the small
// number its overflow wraps around to.
func TestParseTimeoutOverflow(t *testing.T) {
	for _, in := range []string{
		"213503982d28969551616000ns", // wrapped around to exactly one minute
		"106752d", "106752d1s", "3650d1s", "3651d", "2562048h", "9223372036854775807s", "9223372036854775808ns",
		"9223372036854775807", "99999999999999999999", "99999999999999999999d", "0,0,0,9223372036854775807",
		"2147483647,0,0,0", "0,2562048,0,0", "3650,0,0,1", "1d9223372036854775807ns",
	} {
		d, err := ParseTimeout(in)
		if err == nil || !strings.Contains(err.Error(), "out of range") || !strings.Contains(err.Error(), "3650d") {
			t.Errorf("ParseTimeout(%q) = %v, %v; want an out of range error", in, d, err)
		}
	}
	for in, want := range map[string]time.Duration{"3649d24h": MaxTimeout, "0,0,0,315360000": MaxTimeout, "87600h": MaxTimeout} {
		if d, err := ParseTimeout(in); err != nil || d != want {
			t.Errorf("ParseTimeout(%q) = %v, %v; want %v", in, d, err, want)
		}
	}
	for _, in := range []string{"1d-5h", "1d+5h", "-1d", "1dd", "1d1x"} {
		if d, err := ParseTimeout(in); err == nil {
			t.Errorf("ParseTimeout(%q) = %v; want an error", in, d)
		}
	}
}
