package scopes

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Patch is a set of changes applied to a scope's data in one atomic step, so
// that two requests touching different keys both survive.
type Patch struct {
	Set   map[string]json.RawMessage `json:"set"`
	Unset []string                   `json:"unset"`
	Incr  map[string]json.Number     `json:"incr"`
}

// Validate checks that the patch changes something and names each key once.
func (p Patch) Validate() error {
	if len(p.Set)+len(p.Unset)+len(p.Incr) == 0 {
		return Errorf(EInvalid, `the patch is empty: give "set", "unset" or "incr"`)
	}
	seen := map[string]string{}
	claim := func(key, op string) error {
		if key == "" {
			return Errorf(EInvalid, "%s: a key cannot be empty", op)
		}
		// A key becomes a name in the stored JSON, which MySQL and
		// PostgreSQL refuse when it is not UTF-8.
		if !utf8.ValidString(key) {
			return Errorf(EInvalid, "%s: the key %q is not valid UTF-8 text", op, key)
		}
		if prev, ok := seen[key]; ok {
			return Errorf(EInvalid, "key %q appears in both %q and %q; name each key once", key, prev, op)
		}
		seen[key] = op
		return nil
	}
	for k, v := range p.Set {
		if err := claim(k, "set"); err != nil {
			return err
		}
		if !validValue(v) {
			return Errorf(EInvalid, "set: the value of %q is not valid JSON in UTF-8", k)
		}
	}
	for _, k := range p.Unset {
		if err := claim(k, "unset"); err != nil {
			return err
		}
	}
	for k, n := range p.Incr {
		if err := claim(k, "incr"); err != nil {
			return err
		}
		if _, err := n.Float64(); err != nil {
			return Errorf(EInvalid, "incr: the amount for %q is not a number", k)
		}
	}
	return nil
}

// validValue reports whether v is JSON a storage can hold. ValidJSON, not
// json.Valid: json.Valid lets invalid UTF-8 and unpaired surrogate escapes
// through, which a json.RawMessage keeps as sent. Nesting deeper than
// ValidJSON follows is checked by json.Valid and utf8.Valid, refusing any
// \u escape, which only ValidJSON checks.
func validValue(v []byte) bool {
	if ValidJSON(v) {
		return true
	}
	return json.Valid(v) && utf8.Valid(v) && !bytes.Contains(v, []byte(`\u`))
}

// Apply returns data with the patch applied. Data is a JSON object; the result
// is compact, with its keys in sorted order.
func (p Patch) Apply(data json.RawMessage) (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if len(data) > 0 {
		// "null" unmarshals without error into a nil map, and encoding/json
		// keeps invalid UTF-8 in a value as it is: ValidJSON refuses it.
		if err := json.Unmarshal(data, &m); err != nil || m == nil || !ValidJSON(data) {
			return nil, Errorf(ECorrupt, "the scope's data is not a JSON object")
		}
	}
	for k, v := range p.Set {
		m[k] = v
	}
	for _, k := range p.Unset {
		delete(m, k)
	}
	for k, n := range p.Incr {
		sum, err := addNumbers(m[k], n)
		if err != nil {
			return nil, Errorf(EConflict, "cannot incr %q: %v", k, err)
		}
		m[k] = sum
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, Errorf(EInvalid, "the patched data is not valid JSON: %v", err)
	}
	return out, nil
}

// addNumbers adds n to the JSON number cur (absent counts as 0). Integers stay
// integers unless the sum would overflow; anything else adds as float64.
func addNumbers(cur json.RawMessage, n json.Number) (json.RawMessage, error) {
	cur = bytes.TrimSpace(cur)
	if len(cur) == 0 {
		cur = json.RawMessage("0")
	}
	c := string(cur)
	if c[0] != '-' && (c[0] < '0' || c[0] > '9') {
		return nil, Errorf(EConflict, "it holds %s, which is not a number", abbreviate(c))
	}
	a, errA := strconv.ParseInt(c, 10, 64)
	b, errB := strconv.ParseInt(n.String(), 10, 64)
	if errA == nil && errB == nil {
		if s := a + b; (b >= 0) == (s >= a) {
			return strconv.AppendInt(nil, s, 10), nil
		}
	}
	fa, err := strconv.ParseFloat(c, 64)
	if err != nil {
		return nil, Errorf(EConflict, "it holds %s, which is not a number", abbreviate(c))
	}
	fb, _ := n.Float64()
	s := fa + fb
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return nil, Errorf(EConflict, "the sum is out of range")
	}
	// encoding/json writes floats as JavaScript does: no exponent below 1e21.
	return json.Marshal(s)
}

func abbreviate(s string) string {
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strings.ReplaceAll(s, "\n", " ")
}
