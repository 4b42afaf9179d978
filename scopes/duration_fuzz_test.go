package scopes

import (
	"math/big"
	"strings"
	"testing"
	"time"
)

// refTimeout computes, without overflow, the nanoseconds that s writes in
// the "<days>d<duration>" form, and how many of its numbers have a
// fraction (time.ParseDuration scales each fraction in float64, which may
// round it by under 1ns either way); ok is
// false for anything else (seconds alone, createTimeSpan).
func refTimeout(s string) (ns *big.Rat, fractions int, ok bool) {
	total := new(big.Rat)
	if i := strings.IndexByte(s, 'd'); i > 0 {
		days, ok := new(big.Int).SetString(s[:i], 10)
		if !ok || days.Sign() < 0 || strings.ContainsAny(s[:i], "+-") {
			return nil, 0, false
		}
		total.SetInt(days.Mul(days, big.NewInt(int64(24*time.Hour))))
		if s = s[i+1:]; s == "" {
			return total, 0, true
		}
	}
	units := map[string]int64{"ns": 1, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}
	if s == "" || !durationSyntax(s) {
		return nil, 0, false
	}
	for s != "" {
		i := strings.IndexFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
		j := strings.IndexFunc(s[i:], func(r rune) bool { return r == '.' || '0' <= r && r <= '9' })
		if j < 0 {
			j = len(s) - i
		}
		num := s[:i]
		if strings.HasSuffix(num, ".") {
			num += "0"
		}
		if strings.HasPrefix(num, ".") {
			num = "0" + num
		}
		n, ok := new(big.Rat).SetString(num)
		if !ok {
			return nil, 0, false
		}
		if strings.Contains(num, ".") {
			fractions++
		}
		total.Add(total, n.Mul(n, new(big.Rat).SetInt64(units[s[i:i+j]])))
		s = s[i+j:]
	}
	return total, fractions, true
}

// FuzzParseTimeout checks ParseTimeout on any text: it never panics; what
// it accepts is whole seconds between the bounds, formats back to itself,
// and is what the text says, computed without overflow (a product or sum
// that wrapped around was accepted as a small timeout).
func FuzzParseTimeout(f *testing.F) {
	for _, s := range []string{"30m", "90d", "1d12h", "1800", "0,0,30,0", "213503982d28969551616000ns", "106752d",
		"2562048h", "3650d", "3650d1s", "1.5h", ".5h", "1d-5h", "9223372036854775807", "0,0,0,9223372036854775807", "1h0.5s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseTimeout(s)
		if err != nil {
			return
		}
		if d < MinTimeout || d > MaxTimeout || d%time.Second != 0 {
			t.Fatalf("ParseTimeout(%q) = %v, out of bounds", s, d)
		}
		if back, err := ParseTimeout(FormatTimeout(d)); err != nil || back != d {
			t.Fatalf("ParseTimeout(%q) = %v, which formats as %q, which parses as %v, %v", s, d, FormatTimeout(d), back, err)
		}
		if want, fractions, ok := refTimeout(strings.TrimSpace(s)); ok {
			diff := new(big.Rat).Sub(want, new(big.Rat).SetInt64(int64(d)))
			if diff.Abs(diff).Cmp(new(big.Rat).SetInt64(int64(fractions))) > 0 {
				t.Fatalf("ParseTimeout(%q) = %v, but it writes %s ns", s, d, want.FloatString(0))
			}
		}
	})
}

// FuzzFormatTimeout checks that every timeout in bounds formats to text
// that parses back to it.
func FuzzFormatTimeout(f *testing.F) {
	f.Add(int64(1))
	f.Add(int64(90 * 24 * 3600))
	f.Add(int64(MaxTimeout / time.Second))
	f.Fuzz(func(t *testing.T, secs int64) {
		span := int64(MaxTimeout / time.Second)
		secs %= span
		if secs < 0 {
			secs += span
		}
		d := time.Duration(secs+1) * time.Second
		s := FormatTimeout(d)
		if back, err := ParseTimeout(s); err != nil || back != d {
			t.Fatalf("%v formats as %q, which parses as %v, %v", d, s, back, err)
		}
	})
}
