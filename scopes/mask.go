package scopes

import (
	"encoding/json"
	"errors"
	"strings"
)

// Mask is what operators see instead of a sensitive value, in the console,
// the admin JSON API and the command line alike.
const Mask = "••••"

// sensitiveWords mark a key whose value operators do not see: a key whose
// name contains one of them, in any case, is masked at any depth. They apply
// to every app, besides the key names the app lists in its sensitiveKeys
// setting, so that an app that lists none is still covered.
var sensitiveWords = []string{"password", "secret", "token", "card", "ssn", "cvv", "iban"}

// SensitiveWords returns the built-in words that mark a sensitive key, for
// the pages and help texts that list them.
func SensitiveWords() []string { return append([]string(nil), sensitiveWords...) }

// SensitiveKey tells whether the value of a data key is masked: its name is
// one of keys (an app's sensitiveKeys), in any case, or contains a sensitive
// word. It is the one rule of every masked view and of the list filters.
func SensitiveKey(name string, keys []string) bool {
	for _, k := range keys {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	lower := strings.ToLower(name)
	for _, w := range sensitiveWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// MaskData returns data, a JSON value, with the value of every sensitive key
// (SensitiveKey with keys, at any depth) replaced by the string Mask. It is
// the one masking of scopes' data that operators see: the console's tree and
// raw JSON, the admin JSON API and the command line all show its output.
// Members keep their order and numbers their text. Strings with escapes are
// written again without HTML escaping (\u003cb\u003e becomes <b>), so that a
// page that escapes its text as HTML shows what the app stored. It reads
// data once, without recursion: its cost is linear in the size of data
// however deep it nests.
func MaskData(data []byte, keys []string) ([]byte, error) {
	if !json.Valid(data) {
		return nil, errors.New("the data is not valid JSON")
	}
	out := make([]byte, 0, len(data))
	// inObject holds, for each open container, whether it is an object;
	// expectKey is whether the next string of the innermost object is a key.
	var inObject []bool
	expectKey := false
	for i := 0; i < len(data); {
		c := data[i]
		switch c {
		case '{':
			inObject = append(inObject, true)
			expectKey = true
			out = append(out, c)
			i++
		case '[':
			inObject = append(inObject, false)
			expectKey = false
			out = append(out, c)
			i++
		case '}', ']':
			inObject = inObject[:len(inObject)-1]
			expectKey = false
			out = append(out, c)
			i++
		case ',':
			expectKey = len(inObject) > 0 && inObject[len(inObject)-1]
			out = append(out, c)
			i++
		case '"':
			end := stringEnd(data, i)
			str := data[i:end]
			out = appendNormalString(out, str)
			i = end
			if !expectKey {
				break
			}
			expectKey = false
			if !SensitiveKey(unquote(str), keys) {
				break
			}
			// The key's colon, then the value, which is left out.
			for data[i] != ':' {
				i++
			}
			out = append(out, ':')
			i = skipSpace(data, i+1)
			out = appendJSONString(out, Mask)
			i = valueEnd(data, i)
		default:
			// Numbers, true, false, null, ':' and white space, as they are.
			out = append(out, c)
			i++
		}
	}
	return out, nil
}

// Masked returns a copy of the scope with its data masked by MaskData with
// keys (an app's sensitiveKeys). Data that is not JSON, which a storage
// should never hold, is written as null rather than shown unmasked.
func (s *Scope) Masked(keys []string) *Scope {
	m := *s
	data, err := MaskData(s.Data, keys)
	if err != nil {
		data = []byte(`null`)
	}
	m.Data = data
	return &m
}

// CheckFilterKey refuses a list filter on a masked key: a filter that finds
// the scopes whose password is hunter0 reveals a value the views mask.
func CheckFilterKey(key string, keys []string) error {
	if key = strings.TrimSpace(key); key != "" && SensitiveKey(key, keys) {
		return Errorf(EInvalid, "the key %q is masked (a sensitive key), so filtering on its value is refused: "+
			"filter on another key, or by cfid prefix, and open the scope to see it masked", truncateText(key, 80))
	}
	return nil
}

// stringEnd returns the index just past the JSON string that starts at i.
func stringEnd(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// valueEnd returns the index just past the JSON value that starts at i,
// counting brackets rather than recursing.
func valueEnd(data []byte, i int) int {
	depth := 0
	for i < len(data) {
		switch c := data[i]; c {
		case '"':
			i = stringEnd(data, i)
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return i
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

// unquote returns the text of a valid JSON string.
func unquote(str []byte) string {
	if !strings.ContainsRune(string(str), '\\') {
		return string(str[1 : len(str)-1])
	}
	var s string
	_ = json.Unmarshal(str, &s) // valid JSON, checked before
	return s
}

// appendNormalString appends a valid JSON string as appendJSONString writes
// its text: copied when it has no escapes, written again otherwise.
func appendNormalString(b, str []byte) []byte {
	for _, c := range str[1 : len(str)-1] {
		if c == '\\' {
			return appendJSONString(b, unquote(str))
		}
	}
	return append(b, str...)
}
