package scopes

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Timeouts are whole seconds between these bounds.
const (
	MinTimeout = time.Second
	MaxTimeout = 3650 * 24 * time.Hour
)

// ParseTimeout reads a scope timeout written as a duration with days
// ("90d", "1d12h", "30m", "45s"), as whole seconds ("1800"), or as the four
// numbers of CFML's createTimeSpan ("0,0,30,0" for days, hours, minutes, seconds).
func ParseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := parseTimeout(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a timeout: write it like 30m, 2h, 90d, 1d12h or a number of seconds", s)
	}
	if d < MinTimeout || d > MaxTimeout {
		return 0, fmt.Errorf("timeout %s is out of range: it must be between 1s and 3650d", FormatTimeout(d))
	}
	if d%time.Second != 0 {
		return 0, fmt.Errorf("timeout %q must be whole seconds", s)
	}
	return d, nil
}

func parseTimeout(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > int64(MaxTimeout/time.Second) {
			return 0, fmt.Errorf("out of range")
		}
		return time.Duration(n) * time.Second, nil
	}
	if parts := strings.Split(s, ","); len(parts) == 4 {
		units := []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second}
		var d time.Duration
		for i, p := range parts {
			n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bad timespan")
			}
			d += time.Duration(n) * units[i]
		}
		return d, nil
	}
	var days int64
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseInt(s[:i], 10, 32)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad days")
		}
		days, s = n, s[i+1:]
		if s == "" {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	return time.Duration(days)*24*time.Hour + d, nil
}

// FormatTimeout writes d the way ParseTimeout reads it, largest units first
// ("90d", "1h30m").
func FormatTimeout(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	units := []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	for _, u := range units {
		if n := d / u.size; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.name)
			d -= n * u.size
		}
	}
	if b.Len() == 0 {
		return d.String()
	}
	return b.String()
}
