package httpapi

import (
	"slices"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

func TestParseIfMatch(t *testing.T) {
	for in, want := range map[string][]int64{
		`"3"`: {3}, `3`: {3}, ``: nil, `*`: nil, ` * `: nil,
		// A list matches when the scope is at any of its versions.
		`"1", "2"`: {1, 2}, `"1","2"`: {1, 2}, ` "7" , 8 ,, `: {7, 8},
		// A weak tag never matches (RFC 9110 §13.1.1): it is left out.
		`W/"1", "2"`: {2}, `"2", W/"1"`: {2},
	} {
		got, err := ParseIfMatch(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseIfMatch(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{`"x"`, `0`, `-1`, `+3`, `"3`, `yesterday`, `"1", "x"`, `*, "1"`, `W/3`, `w/"3"`, `,`, `"99999999999999999999"`,
		strings.Repeat(`"1",`, maxIfMatchTags+1)} {
		if _, err := ParseIfMatch(in); scopes.ErrorCode(err) != scopes.EInvalid {
			t.Errorf("ParseIfMatch(%q) = %v; want an invalid error", in, err)
		}
	}
	// Only weak tags: the condition is false whatever the version.
	for _, in := range []string{`W/"12"`, `W/"1", W/"2"`} {
		if _, err := ParseIfMatch(in); scopes.ErrorCode(err) != scopes.EPreconditionFailed {
			t.Errorf("ParseIfMatch(%q) = %v; want a precondition failed error", in, err)
		}
	}
}

func TestParseIfNoneMatch(t *testing.T) {
	for in, want := range map[string]bool{``: false, `*`: true} {
		if got, err := ParseIfNoneMatch(in); err != nil || got != want {
			t.Errorf("ParseIfNoneMatch(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{`"3"`, `W/"3"`, `**`, `"1", "2"`} {
		if _, err := ParseIfNoneMatch(in); scopes.ErrorCode(err) != scopes.EInvalid {
			t.Errorf("ParseIfNoneMatch(%q) = %v; want an invalid error", in, err)
		}
	}
}
