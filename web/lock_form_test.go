package web

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scopestore/scopestore/httpapi"
)

// TestDecodeLockForm checks the fast path against unmarshalStrict: the same
// form, or the same refusal, for every body.
func TestDecodeLockForm(t *testing.T) {
	for _, body := range []string{
		`{}`,
		`{"timeout":1e3,"lease":-0}`,
		`{"type":"a","type":"b"}`,
		`{"type":""}`,
		`{"type":"é"}`,
		"{\n  \"type\": \"readonly\",\n  \"owner\": \"me\"\n}",
		`{"type":"exclusive","timeout":"0","lease":"30s"}`,
		` { "type" : "readonly" , "timeout" : 5 , "lease" : 1.5 } `,
		`{"timeout":-1,"lease":"1m","timeout":"2s"}`,
		`{"type":"exclusive","timeout":null}`,
		`{"type":null}`,
		`{"TYPE":"readonly"}`,
		`{"type":"excl\u0075sive"}`,
		`{"lease":"3\u0073"}`,
		`{"type":1}`,
		`{"timeout":true}`,
		`{"timeout":{"s":1}}`,
		`{"owner":"me"}`,
		`[1]`,
		`"exclusive"`,
		`{"type":"exclusive"} {}`,
		`{"type":"exclusive",}`,
		"{\"type\":\"ex\xffclusive\"}",
	} {
		var fast, ref lockForm
		errFast := decodeLockForm([]byte(body), &fast)
		errRef := unmarshalStrict([]byte(body), &ref)
		if (errFast == nil) != (errRef == nil) || errFast != nil && errFast.Error() != errRef.Error() {
			t.Errorf("%s: error %v; unmarshalStrict's: %v", body, errFast, errRef)
			continue
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Errorf("%s: %#v; unmarshalStrict's: %#v", body, fast, ref)
		}
	}
}

// TestLockAnswerJSON checks appendJSON against httpapi.Encode, which the
// other answers use (TestLockAnswerPretty checks ?pretty).
func TestLockAnswerJSON(t *testing.T) {
	at := time.Date(2026, 12, 5, 1, 2, 3, 456789000, time.UTC)
	for _, a := range []lockAnswer{
		{Name: "counter", Type: "exclusive", Token: "tok-1", Fence: 42, Expires: at},
		{Name: "session:1b2c", Type: "readonly", Token: "t", Fence: 1, Expires: at.Truncate(time.Second)},
		{Name: `a "quoted" <b>&\ name` + "\n\u2028é", Token: "t", Expires: at},
		{Name: "bad \xff utf-8", Token: "t", Expires: time.Time{}.UTC()},
	} {
		var want bytes.Buffer
		if err := httpapi.Encode(&want, a, ""); err != nil {
			t.Fatal(err)
		}
		got := a.appendJSON(nil)
		// encoding/json escapes U+2028 and invalid UTF-8 (as \ufffd) where
		// jsontext writes them as they are (U+FFFD for the latter): the
		// same strings once decoded, and otherwise the same bytes.
		var g, w map[string]any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%q is not JSON: %v", got, err)
		}
		_ = json.Unmarshal(want.Bytes(), &w)
		if !reflect.DeepEqual(g, w) || got[len(got)-1] != '\n' {
			t.Errorf("appendJSON: %s\nhttpapi.Encode: %s", got, want.Bytes())
		}
		if utf8.ValidString(a.Name) && !strings.ContainsRune(a.Name, '\u2028') && !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendJSON: %s\nhttpapi.Encode: %s (bytes differ)", got, want.Bytes())
		}
	}
}
