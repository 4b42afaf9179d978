package scopes

import (
	"strings"
	"testing"
)

func TestMaskData(t *testing.T) {
	for _, c := range []struct {
		name, data string
		keys       []string
		want       string
	}{
		{"built-in words at any depth, in any case",
			`{"a":1,"Password":"hunter2","user":{"cardNumber":"4111","name":"x","list":[{"cvv":123},{"IBAN":["DE89"]}]},"apiToken":{"v":"t"}}`, nil,
			`{"a":1,"Password":"••••","user":{"cardNumber":"••••","name":"x","list":[{"cvv":"••••"},{"IBAN":"••••"}]},"apiToken":"••••"}`},
		{"the app's keys, whole names in any case",
			`{"DOB":"1970-01-01","dobby":"elf","p":{"mrn":{"id":[1,2]}}}`, []string{"dob", "MRN"},
			`{"DOB":"••••","dobby":"elf","p":{"mrn":"••••"}}`},
		{"a key written with escapes",
			`{"pass\u0077ord":"hunter2","n\u0061me":"x"}`, nil,
			`{"password":"••••","name":"x"}`},
		{"a masked value with brackets and quotes in its strings",
			`{"secret":{"a":"}\"]","b":[{"c":"{"}]},"after":true,"s":"]"}`, nil,
			`{"secret":"••••","after":true,"s":"]"}`},
		{"white space kept, masked values dropped",
			"{ \"token\" : [ 1 , 2 ] , \"n\" : 1.50e3 }", nil,
			"{ \"token\":\"••••\" , \"n\" : 1.50e3 }"},
		{"strings with escapes written as their text, without HTML escapes",
			`{"note":"\u003cb\u003e \u0026 \"q\"\n","ok":"<i>"}`, nil,
			`{"note":"<b> & \"q\"\n","ok":"<i>"}`},
		{"scalars and empty containers",
			`{"e":{},"a":[],"z":null,"t":false,"secret":null}`, nil,
			`{"e":{},"a":[],"z":null,"t":false,"secret":"••••"}`},
		{"values that read as keys are not keys",
			`{"x":"password","y":["token",{"ssn":1}]}`, nil,
			`{"x":"password","y":["token",{"ssn":"••••"}]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := MaskData([]byte(c.data), c.keys)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("MaskData\n got %s\nwant %s", got, c.want)
			}
		})
	}
	if _, err := MaskData([]byte(`{"a":`), nil); err == nil {
		t.Error("invalid JSON is accepted")
	}
}

// Masking reads the data once however deep it nests: 9,990 nested arrays
// around a 900 KB string come back as they are, and masked whole under a
// sensitive key, without recursion.
func TestMaskDataOfDeepData(t *testing.T) {
	deep := strings.Repeat("[", 9990) + `"` + strings.Repeat("x", 900_000) + `"` + strings.Repeat("]", 9990)
	data := `{"a":` + deep + `,"password":` + deep + `,"b":1}`
	got, err := MaskData([]byte(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":` + deep + `,"password":"••••","b":1}`; string(got) != want {
		t.Errorf("deep data masked into %d bytes, want %d", len(got), len(want))
	}
}

func TestScopeMaskedLeavesTheScopeAlone(t *testing.T) {
	sc := &Scope{CFID: "c", Version: 3, Data: []byte(`{"password":"hunter2"}`)}
	m := sc.Masked(nil)
	if string(m.Data) != `{"password":"••••"}` || m.CFID != "c" || m.Version != 3 || string(sc.Data) != `{"password":"hunter2"}` {
		t.Errorf("masked %s %+v; the scope now holds %s", m.Data, m, sc.Data)
	}
	if bad := (&Scope{Data: []byte(`{"password":`)}).Masked(nil); string(bad.Data) != "null" {
		t.Errorf("data that is not JSON is shown as %s", bad.Data)
	}
}

// A list filter never tells a masked value: a filter on a masked key is
// refused, a filter on any key skips masked keys, and an object is compared
// masked.
func TestListFilterOnMaskedData(t *testing.T) {
	for _, key := range []string{"password", "PassWord", "user_token", "dob", "DOB"} {
		if err := CheckFilterKey(key, []string{"dob"}); ErrorCode(err) != EInvalid || !strings.Contains(ErrorMessage(err), "filter on another key") {
			t.Errorf("filter on %q: %v", key, err)
		}
	}
	for _, key := range []string{"", "email", "dobby"} {
		if err := CheckFilterKey(key, []string{"dob"}); err != nil {
			t.Errorf("filter on %q refused: %v", key, err)
		}
	}
	data := []byte(`{"password":"hunter0","dob":"1970","user":{"name":"a","card":"4111"},"email":"a@x"}`)
	for _, c := range []struct {
		key, value string
		want       bool
	}{
		{"", "hunter0", false},
		{"", "1970", false},
		{"user", `{"name":"a","card":"4111"}`, false},
		{"user", `{"name":"a","card":"••••"}`, true},
		{"", "a@x", true},
		{"EMAIL", "a@x", true},
	} {
		if got := dataHas(data, c.key, c.value, []string{"dob"}); got != c.want {
			t.Errorf("dataHas(%q=%q) = %v, want %v", c.key, c.value, got, c.want)
		}
	}
}
