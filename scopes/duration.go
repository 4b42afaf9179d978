package scopes

import (
	"errors"
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
	switch {
	case errors.Is(err, errTimeoutRange) || err == nil && (d < MinTimeout || d > MaxTimeout):
		return 0, fmt.Errorf("timeout %q is %w: it must be between 1s and 3650d", s, errTimeoutRange)
	case err != nil:
		return 0, fmt.Errorf("%q is not a timeout: write it like 30m, 2h, 90d, 1d12h or a number of seconds", s)
	case d%time.Second != 0:
		return 0, fmt.Errorf("timeout %q must be whole seconds", s)
	}
	return d, nil
}

// errTimeoutRange is a timeout past MaxTimeout, reported as such even when
// it is too large for a time.Duration: a product or a sum that overflowed
// would wrap around to a small timeout that passes the bounds
// ("213503982d28969551616000ns" was a minute).
var errTimeoutRange = errors.New("out of range")

// maxTimeoutDays bounds the days that parseTimeout multiplies, so that no
// product overflows; a sum of in-range parts cannot overflow either.
const maxTimeoutDays = int64(MaxTimeout / (24 * time.Hour))

func parseTimeout(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || n < 0 || n > int64(MaxTimeout/time.Second) {
			return 0, errTimeoutRange
		}
		return time.Duration(n) * time.Second, nil
	}
	if parts := strings.Split(s, ","); len(parts) == 4 {
		units := []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second}
		var d time.Duration
		for i, p := range parts {
			n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(strings.TrimSpace(p), "-") {
				return 0, errTimeoutRange
			}
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bad timespan")
			}
			// Each part is at most MaxTimeout, so four of them add up
			// without overflow.
			if n > int64(MaxTimeout/units[i]) {
				return 0, errTimeoutRange
			}
			d += time.Duration(n) * units[i]
		}
		return d, nil
	}
	var days int64
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if errors.Is(err, strconv.ErrRange) && s[0] != '-' {
			return 0, errTimeoutRange
		}
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad days")
		}
		if n > maxTimeoutDays {
			return 0, errTimeoutRange
		}
		days, s = n, s[i+1:]
		if s == "" {
			return time.Duration(days) * 24 * time.Hour, nil
		}
		// "1d-5h" would be 19 hours.
		if s[0] == '-' || s[0] == '+' {
			return 0, fmt.Errorf("a sign after the days")
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		// time.ParseDuration says "invalid duration" for an overflow as
		// for a typing error: well written, it was an overflow.
		if durationSyntax(strings.TrimPrefix(s, "+")) {
			return 0, errTimeoutRange
		}
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("negative")
	}
	// days is at most maxTimeoutDays: the sum overflows only when d is
	// near the largest Duration, and then it is past MaxTimeout anyway.
	if d > MaxTimeout {
		return 0, errTimeoutRange
	}
	return time.Duration(days)*24*time.Hour + d, nil
}

// durationSyntax reports whether s, without a sign, is written as
// time.ParseDuration reads it: numbers, each with a unit ("1h30m", "1.5h").
func durationSyntax(s string) bool {
	digits := func(i int) int {
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i
	}
	if s == "" {
		return false
	}
	for s != "" {
		i := digits(0)
		j := i
		if j < len(s) && s[j] == '.' {
			j = digits(j + 1)
		}
		if i == 0 && j <= 1 {
			return false // no digit before or after the point
		}
		k := j
		for k < len(s) && s[k] != '.' && (s[k] < '0' || s[k] > '9') {
			k++
		}
		switch s[j:k] {
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
		default:
			return false
		}
		s = s[k:]
	}
	return true
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
