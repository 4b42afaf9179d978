package sqlstore

import (
	"strconv"
	"time"
)

// maxMillis is the largest epoch millisecond count that fits in 13 digits,
// reached in the year 2286.
const maxMillis = 9_999_999_999_999

// millis writes t as epoch milliseconds in exactly 13 decimal digits. The
// expires column is a VARCHAR, as Lucee made it, and every comparison on it
// (expires <= now in the cleaner, the index order) compares strings: those
// order like the numbers only when all have the same length. Times since
// September 2001 have 13 digits anyway; earlier ones are zero-padded, and
// times outside the range (the zero time.Time, say) are clamped, which keeps
// them in order.
func millis(t time.Time) string {
	ms := min(max(t.UnixMilli(), 0), maxMillis)
	var b [13]byte
	s := strconv.AppendInt(b[:0], ms, 10)
	if len(s) == 13 {
		return string(s)
	}
	out := []byte("0000000000000")
	copy(out[13-len(s):], s)
	return string(out)
}
