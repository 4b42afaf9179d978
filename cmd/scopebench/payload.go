package main

import (
	"fmt"
	"strconv"
	"strings"
)

// minSize is the smallest -size: makeData's fixed fields take about 190 bytes.
const minSize = 256

// seqDigits is the width of the "seq" field that every save rewrites, so
// that each save writes a new value of the same size.
const seqDigits = 12

// makeData returns a JSON object of exactly size bytes that looks like a
// session: a user, a few flags, a cart, and padding to reach the size. Its
// "seq" value starts at byte seqOffset and holds seqDigits digits.
func makeData(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"seq":"` + strings.Repeat("0", seqDigits) + `",`)
	b.WriteString(`"user":{"id":48213,"name":"Ann Example","email":"ann@example.com","roles":["customer","beta"]},`)
	b.WriteString(`"flags":{"lang":"en","theme":"dark","consent":true},`)
	b.WriteString(`"cart":[`)
	const tail = `],"pad":""}`
	for i := 0; ; i++ {
		item := fmt.Sprintf(`{"sku":"SKU-%05d","qty":%d,"price":%d.99}`, 1000+i*37, 1+i%3, 5+i*7%90)
		if i > 0 {
			item = "," + item
		}
		if b.Len()+len(item)+len(tail) > size*3/4 {
			break
		}
		b.WriteString(item)
	}
	b.WriteString(`],"pad":"`)
	if pad := size - b.Len() - len(`"}`); pad > 0 {
		b.WriteString(strings.Repeat("x", pad))
	}
	b.WriteString(`"}`)
	return []byte(b.String())
}

// seqOffset is where the digits of "seq" start in makeData's object.
var seqOffset = len(`{"seq":"`)

// withSeq returns a copy of data with n in its "seq" field.
func withSeq(data []byte, n uint64) []byte {
	out := append([]byte(nil), data...)
	digits := strconv.FormatUint(n%1_000_000_000_000, 10)
	copy(out[seqOffset+seqDigits-len(digits):], digits)
	return out
}

// putBody returns the body of a save: {"data":…} with n in "seq".
func putBody(data []byte, n uint64) []byte {
	out := make([]byte, 0, len(data)+10)
	out = append(out, `{"data":`...)
	out = append(out, withSeq(data, n)...)
	return append(out, '}')
}
