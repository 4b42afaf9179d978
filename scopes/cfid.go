package scopes

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// NewCFID returns a random version-4 UUID: 122 random bits from crypto/rand.
func NewCFID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+).
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// ValidCFID reports whether s is a UUID in its canonical 36-character form
// (hex digits of either case), the only cfid scopestore accepts.
func ValidCFID(s string) bool {
	valid, _ := checkCFID(s)
	return valid
}

// ParseCFID returns s in lower case, the form scopes are keyed by, when it
// is a valid cfid (see ValidCFID).
func ParseCFID(s string) (string, bool) {
	valid, upper := checkCFID(s)
	if upper {
		s = strings.ToLower(s)
	}
	return s, valid
}

// cfidDigit marks the bytes of a UUID's hex digits: lower for 0-9 and a-f,
// upper for A-F.
var cfidDigit = func() (t [256]uint8) {
	for _, c := range "0123456789abcdef" {
		t[c] = cfidLower
	}
	for _, c := range "ABCDEF" {
		t[c] = cfidUpper
	}
	return t
}()

const (
	cfidLower = 1 << iota
	cfidUpper
)

// checkCFID tells whether s is a valid cfid, and whether it holds upper-case
// digits: one pass, a table lookup a digit, as every API request makes it.
func checkCFID(s string) (valid, hasUpper bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false, false
	}
	var seen uint8
	for _, group := range [...][2]int{{0, 8}, {9, 13}, {14, 18}, {19, 23}, {24, 36}} {
		for _, c := range []byte(s[group[0]:group[1]]) {
			d := cfidDigit[c]
			if d == 0 {
				return false, false
			}
			seen |= d
		}
	}
	return true, seen&cfidUpper != 0
}
