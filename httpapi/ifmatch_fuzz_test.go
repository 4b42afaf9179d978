package httpapi

import (
	"strconv"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// FuzzParseIfMatch checks ParseIfMatch on any header: it never panics,
// answers a coded error or versions >= 1, bounded in number, and reads
// back a list of the ETags it sends, weak ones left out.
func FuzzParseIfMatch(f *testing.F) {
	for _, s := range []string{`"3"`, `3`, `W/"12"`, `*`, ``, `"1", "2"`, `W/"1", "2"`, ` , "7",, 8 `, `"x"`, `W/3`, `"1", *`} {
		f.Add(s, int64(1), int64(2), false)
	}
	f.Fuzz(func(t *testing.T, s string, a, b int64, weakA bool) {
		vs, err := ParseIfMatch(s)
		switch code := scopes.ErrorCode(err); {
		case err != nil && code != scopes.EInvalid && code != scopes.EPreconditionFailed:
			t.Fatalf("ParseIfMatch(%q): %v, an error of code %s", s, err, code)
		case len(vs) > maxIfMatchTags:
			t.Fatalf("ParseIfMatch(%q) gave %d versions", s, len(vs))
		}
		for _, v := range vs {
			if v < 1 {
				t.Fatalf("ParseIfMatch(%q) gave version %d", s, v)
			}
		}
		if a < 1 || b < 1 {
			return
		}
		tagA := ETag(a)
		if weakA {
			tagA = "W/" + tagA
		}
		vs, err = ParseIfMatch(tagA + ", " + strconv.FormatInt(b, 10))
		want := []int64{a, b}
		if weakA {
			want = want[1:]
		}
		if err != nil || len(vs) != len(want) || vs[0] != want[0] || vs[len(vs)-1] != want[len(want)-1] {
			t.Fatalf("ParseIfMatch(%s, %d) = %v, %v; want %v", tagA, b, vs, err, want)
		}
		if _, err := ParseIfMatch("W/" + ETag(a) + "," + "W/" + ETag(b)); scopes.ErrorCode(err) != scopes.EPreconditionFailed {
			t.Fatalf("weak tags only: %v, want a failed precondition", err)
		}
	})
}

// FuzzParseIfNoneMatch checks that only "*" asks for a create, and that
// anything else but "" is refused.
func FuzzParseIfNoneMatch(f *testing.F) {
	for _, s := range []string{``, `*`, `"3"`, ` * `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		create, err := ParseIfNoneMatch(s)
		if create != (s == "*") || (err == nil) != (s == "" || s == "*") || err != nil && scopes.ErrorCode(err) != scopes.EInvalid {
			t.Fatalf("ParseIfNoneMatch(%q) = %v, %v", s, create, err)
		}
	})
}
