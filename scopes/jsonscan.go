package scopes

import (
	"math/bits"
	"unicode/utf8"
)

// CompactJSON validates b as one JSON value, surrounded by optional
// whitespace, and removes the whitespace between its tokens in place, in one
// pass; it returns the compact bytes, a prefix of b. Strings and numbers are
// kept as written and duplicate names pass, as with jsontext's Value.Compact
// given AllowInvalidUTF8(false): a string must be valid UTF-8, and a \u
// escape of a surrogate must be the first half of a pair whose second half
// follows, so that no storage is handed text it cannot hold (MySQL and
// PostgreSQL refuse invalid UTF-8). ok is false when b is not such JSON, and
// also for what this fast path leaves to jsontext: nesting deeper than
// maxScanDepth. member, when not nil, is called with the
// bytes of each member of a top-level object, name quotes included, as it
// ends; it returns false to stop the scan (ok false). With whitespace to
// remove, it is called on both passes, the last time with compact bytes.
//
// b is changed only when it holds whitespace between tokens and is valid:
// a first pass validates it, and a second compacts it only then, so that a
// caller can hand b, unchanged, to a slower decoder for the error.
func CompactJSON(b []byte, member func(key, value []byte) bool) (out []byte, ok bool) {
	spaced, ok := validJSON(b, member)
	if !ok {
		return nil, false
	}
	n := len(b)
	if spaced {
		n, _, ok = scanJSON(b, true, member)
	}
	return b[:n], ok
}

// ValidJSON reports whether b is one valid JSON value, without changing it:
// as json.Valid does, and also false for invalid UTF-8 and unpaired
// surrogate escapes, which json.Valid lets through, and for what
// CompactJSON leaves to jsontext.
func ValidJSON(b []byte) bool {
	_, ok := validJSON(b, nil)
	return ok
}

// maxScanDepth bounds the nesting scanJSON follows.
const maxScanDepth = 1000

// strPlain marks the bytes that a JSON string holds as they are, with no
// further check: ASCII, not a quote, a backslash or a control character.
// Bytes from 0x80 start UTF-8 sequences, which scanString decodes.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainEnd returns the index of the first byte at or after i that a JSON
// string does not hold as it is (a quote, a backslash, a control
// character, a byte of a UTF-8 sequence), or len(b): eight bytes at a
// time, then one at a time.
func plainEnd[T string | []byte](b T, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		// The compiler makes one 8-byte load of this, from a string too,
		// with one bounds check.
		w := b[i : i+8]
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		q := x ^ (ones * '"')
		s := x ^ (ones * '\\')
		// The lowest flagged byte of each test is exact, so is that of their
		// union; x itself flags the bytes from 0x80, exactly.
		if m := ((q - ones) &^ q) | ((s - ones) &^ s) | ((x - ones*0x20) &^ x) | x; m&highs != 0 {
			return i + bits.TrailingZeros64(m&highs)/8
		}
	}
	for i < len(b) && strPlain[b[i]] {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// scanJSON validates b, and compacts it in place when compact is set; spaced
// tells whether b holds whitespace outside its tokens. Without compact, the
// offsets given to member are those of the compact bytes only when b is not
// spaced.
func scanJSON(b []byte, compact bool, member func(key, value []byte) bool) (_ int, spaced, _ bool) {
	n := len(b)
	r, w := 0, 0
	// emit copies b[from:r] to w when compacting.
	emit := func(from int) {
		if compact && w != from {
			copy(b[w:], b[from:r])
		}
		if compact {
			w += r - from
		} else {
			w = r
		}
	}
	// pos is where the output is: the offsets given to member.
	pos := func() int {
		if compact {
			return w
		}
		return r
	}
	var stackBuf [64]byte
	stack := stackBuf[:0]
	keyStart, keyEnd, valStart := 0, 0, 0
	skip := func() {
		for r < n && isSpace(b[r]) {
			r++
			spaced = true
		}
	}
	skip()
value:
	if r >= n {
		return 0, spaced, false
	}
	if len(stack) == 1 && stack[0] == '{' {
		valStart = pos()
	}
	switch c := b[r]; c {
	case '{', '[':
		if len(stack) >= maxScanDepth {
			return 0, spaced, false
		}
		stack = append(stack, c)
		r++
		emit(r - 1)
		skip()
		if r < n && (c == '{' && b[r] == '}' || c == '[' && b[r] == ']') {
			stack = stack[:len(stack)-1]
			r++
			emit(r - 1)
			goto after
		}
		if c == '[' {
			goto value
		}
		goto key
	case '"':
		from := r
		if !scanString(b, &r) {
			return 0, spaced, false
		}
		emit(from)
	case 't', 'f', 'n':
		lit := "null"
		switch c {
		case 't':
			lit = "true"
		case 'f':
			lit = "false"
		}
		if n-r < len(lit) || string(b[r:r+len(lit)]) != lit {
			return 0, spaced, false
		}
		r += len(lit)
		emit(r - len(lit))
	default:
		from := r
		if !scanNumber(b, &r) {
			return 0, spaced, false
		}
		emit(from)
	}
after:
	// A value ended; b[r] follows it.
	if len(stack) == 0 {
		skip()
		return w, spaced, r == n
	}
	if len(stack) == 1 && stack[0] == '{' && member != nil && !member(b[keyStart:keyEnd], b[valStart:pos()]) {
		return 0, spaced, false
	}
	skip()
	if r >= n {
		return 0, spaced, false
	}
	switch top := stack[len(stack)-1]; b[r] {
	case ',':
		r++
		emit(r - 1)
		skip()
		if top == '[' {
			goto value
		}
		goto key
	case '}', ']':
		if b[r] == '}' != (top == '{') {
			return 0, spaced, false
		}
		stack = stack[:len(stack)-1]
		r++
		emit(r - 1)
		goto after
	}
	return 0, spaced, false
key:
	if r >= n || b[r] != '"' {
		return 0, spaced, false
	}
	{
		from := r
		if !scanString(b, &r) {
			return 0, spaced, false
		}
		top := len(stack) == 1
		if top {
			keyStart = pos()
			if !compact {
				keyStart = from
			}
		}
		emit(from)
		if top {
			keyEnd = pos()
		}
	}
	skip()
	if r >= n || b[r] != ':' {
		return 0, spaced, false
	}
	r++
	emit(r - 1)
	skip()
	goto value
}

// scanString moves *r, at an opening quote, past the closing one. It
// refuses what jsontext refuses without AllowInvalidUTF8: bytes that are
// not UTF-8, and a \u escape of a surrogate that is not the first half of
// a pair followed by its second.
func scanString(b []byte, r *int) bool {
	i, n := *r+1, len(b)
	for {
		i = plainEnd(b, i)
		if i >= n {
			return false
		}
		switch c := b[i]; {
		case c == '"':
			*r = i + 1
			return true
		case c == '\\':
			if i+1 >= n {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				v, ok := hex4(b, i+2)
				if !ok {
					return false
				}
				i += 6
				switch {
				case v >= 0xdc00 && v <= 0xdfff:
					return false // a second half without its first
				case v >= 0xd800 && v <= 0xdbff:
					if n-i < 6 || b[i] != '\\' || b[i+1] != 'u' {
						return false
					}
					if v2, ok := hex4(b, i+2); !ok || v2 < 0xdc00 || v2 > 0xdfff {
						return false
					}
					i += 6
				}
			default:
				return false
			}
		case c >= utf8.RuneSelf:
			// A byte from 0x80 decodes as a rune of two bytes or more; one
			// byte is an invalid or cut sequence, or an encoded surrogate.
			for i < n && b[i] >= utf8.RuneSelf {
				_, size := utf8.DecodeRune(b[i:])
				if size == 1 {
					return false
				}
				i += size
			}
		default:
			return false // a control character
		}
	}
}

// hex4 reads the four hex digits of a \u escape at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if len(b)-i < 4 {
		return 0, false
	}
	var v rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

// scanNumber moves *r past a JSON number.
func scanNumber(b []byte, r *int) bool {
	i, n := *r, len(b)
	if i < n && b[i] == '-' {
		i++
	}
	switch {
	case i < n && b[i] == '0':
		i++
	case i < n && '1' <= b[i] && b[i] <= '9':
		for i++; i < n && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	default:
		return false
	}
	if i < n && b[i] == '.' {
		i++
		if i >= n || b[i] < '0' || b[i] > '9' {
			return false
		}
		for ; i < n && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= n || b[i] < '0' || b[i] > '9' {
			return false
		}
		for ; i < n && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	}
	*r = i
	return true
}

// validJSON is the first pass of CompactJSON: it validates b, tells whether
// it holds whitespace outside its tokens, and gives member the offsets in b.
func validJSON(b []byte, member func(key, value []byte) bool) (spaced, ok bool) {
	n := len(b)
	r := 0
	var stackBuf [64]byte
	stack := stackBuf[:0]
	keyStart, keyEnd, valStart := 0, 0, 0
	for r < n && b[r] <= ' ' && isSpace(b[r]) {
		r++
		spaced = true
	}
value:
	if r >= n {
		return spaced, false
	}
	if len(stack) == 1 && stack[0] == '{' {
		valStart = r
	}
	switch c := b[r]; c {
	case '{', '[':
		if len(stack) >= maxScanDepth {
			return spaced, false
		}
		stack = append(stack, c)
		r++
		for r < n && b[r] <= ' ' && isSpace(b[r]) {
			r++
			spaced = true
		}
		if r < n && b[r] == c+2 { // '{'+2 is '}', '['+2 is ']'
			stack = stack[:len(stack)-1]
			r++
			goto after
		}
		if c == '[' {
			goto value
		}
		goto key
	case '"':
		// scanString, inlined for the common short string.
		i := r + 1
		for lim := min(i+16, n); i < lim && strPlain[b[i]]; i++ {
		}
		if i < n && strPlain[b[i]] {
			i = plainEnd(b, i)
		}
		if i < n && b[i] == '"' {
			r = i + 1
		} else if !scanString(b, &r) {
			return spaced, false
		}
	case 't':
		if n-r < 4 || string(b[r:r+4]) != "true" {
			return spaced, false
		}
		r += 4
	case 'f':
		if n-r < 5 || string(b[r:r+5]) != "false" {
			return spaced, false
		}
		r += 5
	case 'n':
		if n-r < 4 || string(b[r:r+4]) != "null" {
			return spaced, false
		}
		r += 4
	default:
		// A small integer, or one with a fraction (a price), is the common
		// number: inline it; the rest, and what follows it, goes to
		// scanNumber.
		if c >= '1' && c <= '9' {
			i := r + 1
			for i < n && b[i] >= '0' && b[i] <= '9' {
				i++
			}
			if i+1 < n && b[i] == '.' && b[i+1] >= '0' && b[i+1] <= '9' {
				for i += 2; i < n && b[i] >= '0' && b[i] <= '9'; i++ {
				}
			}
			if i < n && (b[i] == ',' || b[i] == '}' || b[i] == ']') {
				r = i
				break
			}
		}
		if !scanNumber(b, &r) {
			return spaced, false
		}
	}
after:
	if len(stack) == 0 {
		for r < n && isSpace(b[r]) {
			r++
			spaced = true
		}
		return spaced, r == n
	}
	if len(stack) == 1 && stack[0] == '{' && member != nil && !member(b[keyStart:keyEnd], b[valStart:r]) {
		return spaced, false
	}
	// Compact JSON, what clients send, has a comma and then the next token:
	// one test for both rather than two whitespace loops.
	if r+1 < n && b[r] == ',' && b[r+1] > ' ' {
		r++
		if stack[len(stack)-1] == '[' {
			goto value
		}
		goto key
	}
	for r < n && b[r] <= ' ' && isSpace(b[r]) {
		r++
		spaced = true
	}
	if r >= n {
		return spaced, false
	}
	switch top := stack[len(stack)-1]; b[r] {
	case ',':
		r++
		for r < n && b[r] <= ' ' && isSpace(b[r]) {
			r++
			spaced = true
		}
		if top == '[' {
			goto value
		}
		goto key
	case '}':
		if top != '{' {
			return spaced, false
		}
		stack = stack[:len(stack)-1]
		r++
		goto after
	case ']':
		if top != '[' {
			return spaced, false
		}
		stack = stack[:len(stack)-1]
		r++
		goto after
	}
	return spaced, false
key:
	if r >= n || b[r] != '"' {
		return spaced, false
	}
	if len(stack) == 1 {
		keyStart = r
	}
	{
		i := r + 1
		for lim := min(i+16, n); i < lim && strPlain[b[i]]; i++ {
		}
		if i < n && strPlain[b[i]] {
			i = plainEnd(b, i)
		}
		if i < n && b[i] == '"' {
			r = i + 1
		} else if !scanString(b, &r) {
			return spaced, false
		}
	}
	if len(stack) == 1 {
		keyEnd = r
	}
	// As after a value: a colon and then the value, in one test.
	if r+1 < n && b[r] == ':' && b[r+1] > ' ' {
		r++
		goto value
	}
	for r < n && b[r] <= ' ' && isSpace(b[r]) {
		r++
		spaced = true
	}
	if r >= n || b[r] != ':' {
		return spaced, false
	}
	r++
	for r < n && b[r] <= ' ' && isSpace(b[r]) {
		r++
		spaced = true
	}
	goto value
}
