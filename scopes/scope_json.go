package scopes

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the scope as JSON, the same document encoding/json
// writes for it, without HTML escaping. Data is stored compact and valid, so
// it is copied as it is: encoding/json would validate and compact those
// bytes again on every answer, which was a quarter of the API's CPU time.
func (s *Scope) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	if s.CFID != "" {
		b = append(b, `"cfid":`...)
		b = appendJSONString(b, s.CFID)
		b = append(b, `,"cftoken":`...)
		b = appendJSONString(b, s.CFToken)
		b = append(b, `,"urltoken":`...)
		b = appendJSONString(b, s.URLToken)
		b = append(b, ',')
	}
	if s.ApplicationName != "" {
		b = append(b, `"applicationname":`...)
		b = appendJSONString(b, s.ApplicationName)
		b = append(b, ',')
	}
	if s.SessionID != "" {
		b = append(b, `"sessionid":`...)
		b = appendJSONString(b, s.SessionID)
		b = append(b, ',')
	}
	b = append(b, `"timecreated":`...)
	b = appendJSONTime(b, s.TimeCreated)
	b = append(b, `,"lastvisit":`...)
	b = appendJSONTime(b, s.LastVisit)
	if s.HitCount != nil {
		b = append(b, `,"hitcount":`...)
		b = strconv.AppendInt(b, *s.HitCount, 10)
	}
	b = append(b, `,"expires":`...)
	b = appendJSONTime(b, s.Expires)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, s.Version, 10)
	b = append(b, `,"storage":`...)
	b = appendJSONString(b, s.Storage)
	if s.RotatedTo != "" {
		b = append(b, `,"rotatedTo":`...)
		b = appendJSONString(b, s.RotatedTo)
	}
	if s.Fence > 0 {
		b = append(b, `,"fence":`...)
		b = strconv.AppendInt(b, s.Fence, 10)
	}
	if s.Token != "" {
		// A token is URL-safe Base64, which needs no escaping: copied, not
		// scanned, as it is some 3 KB on every answer of a cookie scope.
		b = append(b, `,"token":"`...)
		b = append(b, s.Token...)
		b = append(b, '"')
	}
	b = append(b, `,"data":`...)
	if len(s.Data) == 0 {
		b = append(b, "{}"...)
	} else {
		b = append(b, s.Data...)
	}
	return append(b, '}')
}

func appendJSONTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if t.Location() != time.UTC || year < 0 || year > 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	}
	// The scopes' times are UTC: written digit by digit into an array, as
	// RFC3339Nano writes them, it costs a fifth of AppendFormat, six times
	// an answer.
	hour, minute, sec := t.Clock()
	buf := [36]byte{'"', 0, 0, 0, 0, '-', 0, 0, '-', 0, 0, 'T', 0, 0, ':', 0, 0, ':', 0, 0}
	put2(buf[1:3], year/100)
	put2(buf[3:5], year%100)
	put2(buf[6:8], int(month))
	put2(buf[9:11], day)
	put2(buf[12:14], hour)
	put2(buf[15:17], minute)
	put2(buf[18:20], sec)
	n := 20
	if ns := t.Nanosecond(); ns != 0 {
		// Up to nine digits, with the trailing zeros left out.
		buf[20] = '.'
		for i := 29; i > 20; i-- {
			buf[i] = byte('0' + ns%10)
			ns /= 10
		}
		n = 30
		for buf[n-1] == '0' {
			n--
		}
	}
	buf[n], buf[n+1] = 'Z', '"'
	return append(b, buf[:n+2]...)
}

// put2 writes v, from 0 to 99, as two digits.
func put2(b []byte, v int) {
	_ = b[1]
	b[0], b[1] = byte('0'+v/10), byte('0'+v%10)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping what JSON requires
// (and U+2028/U+2029, as encoding/json does), but not HTML.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Runs of bytes that need no escaping are skipped eight at a time.
		if i = plainEnd(s, i); i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
