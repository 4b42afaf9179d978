package client

import (
	"encoding/json"
	"math"
	"strconv"
)

// appendPatch appends p as the JSON body of a PATCH. It writes the common
// values itself (numbers that are integers, plain strings, booleans, null)
// and leaves the rest to encoding/json, whose output it matches, so that a
// save does not pay for reflection over the Patch and its maps.
func appendPatch(b []byte, p Patch) ([]byte, error) {
	b = append(b, '{')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	if len(p.Set) > 0 {
		sep()
		b = append(b, `"set":{`...)
		i := 0
		for k, v := range p.Set {
			if i > 0 {
				b = append(b, ',')
			}
			i++
			var err error
			if b, err = appendJSONString(b, k); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = appendJSONValue(b, v); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	if len(p.Unset) > 0 {
		sep()
		b = append(b, `"unset":[`...)
		for i, k := range p.Unset {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSONString(b, k); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	if len(p.Incr) > 0 {
		sep()
		b = append(b, `"incr":{`...)
		i := 0
		for k, n := range p.Incr {
			if i > 0 {
				b = append(b, ',')
			}
			i++
			var err error
			if b, err = appendJSONString(b, k); err != nil {
				return nil, err
			}
			b = append(b, ':')
			b = strconv.AppendInt(b, n, 10)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// maxExactInt bounds the float64 integers written as integers: below it,
// encoding/json writes them with the same digits.
const maxExactInt = 1 << 53

// appendJSONValue appends v as encoding/json encodes it.
func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return appendJSONString(b, v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < maxExactInt && !(v == 0 && math.Signbit(v)) {
			return strconv.AppendInt(b, int64(v), 10), nil
		}
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
}

// appendJSONString appends s as a JSON string, as encoding/json writes it.
func appendJSONString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		// encoding/json escapes these (and <, >, & for HTML), and checks
		// UTF-8: let it write the string.
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			out, err := json.Marshal(s)
			if err != nil {
				return nil, err
			}
			return append(b, out...), nil
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}
