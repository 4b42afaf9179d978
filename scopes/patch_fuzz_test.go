package scopes

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

// FuzzPatchApply checks Patch.Apply on any data and patch: it never panics;
// a patch of set and unset only, applied twice, gives what it gave once;
// incr adds its amount to the number the key held (0 when absent).
func FuzzPatchApply(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":"x"}`), "a", []byte(`{"c":[1,2]}`), "b", "n", "1")
	f.Add([]byte(`{"n":41}`), "k", []byte(`true`), "n", "n", "-3")
	f.Add([]byte(`{"n":1.5}`), "n", []byte(`null`), "x", "f", "0.25")
	f.Add([]byte(`{"n":9223372036854775807}`), "s", []byte(`"\u00e9"`), "", "n", "1")
	f.Add([]byte(`{}`), "", []byte(`1e400`), "a", "n", "1e308")
	f.Add([]byte(`[1]`), "a", []byte(`{}`), "a", "a", "x")
	f.Add([]byte(`null`), "a", []byte(`1`), "", "n", "1")
	f.Fuzz(func(t *testing.T, data []byte, setKey string, setValue []byte, unsetKey, incrKey, incrBy string) {
		p := Patch{Set: map[string]json.RawMessage{}, Incr: map[string]json.Number{}}
		if setKey != "" {
			p.Set[setKey] = setValue
		}
		if unsetKey != "" {
			p.Unset = []string{unsetKey}
		}
		if p.Validate() == nil {
			once, err := p.Apply(data)
			if err == nil {
				if !ValidJSON(once) || once[0] != '{' {
					t.Fatalf("Apply(%q) = %q, not a JSON object", data, once)
				}
				twice, err := p.Apply(once)
				if err != nil || !bytes.Equal(once, twice) {
					t.Fatalf("set/unset is not idempotent on %q: once %q, twice %q, %v", data, once, twice, err)
				}
			} else if ErrorCode(err) == EInternal {
				t.Fatalf("Apply(%q): an error without a code: %v", data, err)
			}
		}

		inc := Patch{Incr: map[string]json.Number{incrKey: json.Number(incrBy)}}
		if inc.Validate() != nil {
			return
		}
		out, err := inc.Apply(data)
		if err != nil {
			if ErrorCode(err) == EInternal {
				t.Fatalf("incr on %q: an error without a code: %v", data, err)
			}
			return
		}
		var before, after map[string]json.RawMessage
		if json.Unmarshal(data, &before) != nil && len(data) > 0 {
			t.Fatalf("incr applied to %q, which is no object", data)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("incr gave %q: %v", out, err)
		}
		cur := "0"
		if raw, ok := before[incrKey]; ok {
			cur = string(bytes.TrimSpace(raw))
		}
		got := string(after[incrKey])
		a, errA := strconv.ParseInt(cur, 10, 64)
		b, errB := strconv.ParseInt(incrBy, 10, 64)
		if errA == nil && errB == nil && (b >= 0) == (a+b >= a) {
			if want := strconv.FormatInt(a+b, 10); got != want {
				t.Fatalf("%s + %s = %s, want %s", cur, incrBy, got, want)
			}
			return
		}
		fa, _ := strconv.ParseFloat(cur, 64)
		fb, _ := strconv.ParseFloat(incrBy, 64)
		fg, err := strconv.ParseFloat(got, 64)
		if want := fa + fb; err != nil || fg != want && math.Abs(fg-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("%s + %s = %s, want %v", cur, incrBy, got, want)
		}
	})
}
