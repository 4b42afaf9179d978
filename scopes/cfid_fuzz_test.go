package scopes

import (
	"regexp"
	"strings"
	"testing"
)

// uuidForm is the canonical UUID form ValidCFID must accept, and only it.
var uuidForm = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// FuzzValidCFID checks ValidCFID against the UUID form on any text: a cfid
// reaches storage keys and SQL, so nothing else may pass.
func FuzzValidCFID(f *testing.F) {
	for _, s := range []string{NewCFID(), "0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5b-d9cb-469f-a165-70867728950", "0f8fad5b_d9cb-469f-a165-70867728950e",
		"0f8fad5b-d9cb-469f-a165-70867728950\u00e9", "../../../etc/passwd", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok := ValidCFID(s)
		if ok != uuidForm.MatchString(s) {
			t.Fatalf("ValidCFID(%q) = %v, the UUID form says otherwise", s, ok)
		}
		if ok && !ValidCFID(strings.ToLower(s)) {
			t.Fatalf("ValidCFID(%q) but not its lower case", s)
		}
		parsed, pok := ParseCFID(s)
		if pok != ok || ok && parsed != strings.ToLower(s) {
			t.Fatalf("ParseCFID(%q) = %q, %v; want its lower case, %v", s, parsed, pok, ok)
		}
	})
}
