package scopes

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits are the suffixes ParseSize reads, longest first for each unit.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"GiB", 1 << 30}, {"GB", 1 << 30}, {"G", 1 << 30},
	{"MiB", 1 << 20}, {"MB", 1 << 20}, {"M", 1 << 20},
	{"KiB", 1 << 10}, {"KB", 1 << 10}, {"K", 1 << 10},
	{"B", 1},
}

// ParseSize reads a size in bytes, or with a KiB, MiB or GiB suffix (KB, MB
// and GB, K, M and G mean the same, as operators write them): 4096,
// 512KiB, 1GiB. A size that does not fit in 63 bits is an error.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num, mult := s, int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size like 1GiB, 512KiB or 4096", s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large a size", s)
	}
	return n * mult, nil
}

// FormatSize writes n in the largest unit that divides it: 1GiB, 512KiB,
// 1000.
func FormatSize(n int64) string {
	for _, u := range sizeUnits {
		if u.mult > 1 && n > 0 && n%u.mult == 0 && strings.HasSuffix(u.suffix, "iB") {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// FormatSizeApprox writes n for a reader, rounded to one decimal in the
// largest unit it reaches: 1.5 GiB, 812.3 KiB, 512 B.
func FormatSizeApprox(n int64) string {
	for _, u := range sizeUnits {
		if strings.HasSuffix(u.suffix, "iB") && n >= u.mult {
			return strconv.FormatFloat(float64(n)/float64(u.mult), 'f', 1, 64) + " " + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + " B"
}
