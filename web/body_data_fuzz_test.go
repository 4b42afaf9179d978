package web

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/scopestore/scopestore/scopes"
)

// refDataBody is what decodeDataBody must answer, by jsontext alone: a
// body is taken when it is an object, in UTF-8 with no unpaired surrogate
// escape, whose members are all "data" objects; data is the last, compact.
func refDataBody(body []byte) (data []byte, present, ok bool) {
	d := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true))
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false, false
	}
	for d.PeekKind() != '}' {
		tok, err := d.ReadToken()
		if err != nil {
			return nil, false, false
		}
		name := tok.String() // before ReadValue voids tok
		v, err := d.ReadValue()
		if err != nil || name != "data" || v.Kind() != '{' {
			return nil, false, false
		}
		data, present = bytes.Clone(v), true
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, false, false
	}
	if _, err := d.ReadToken(); !errors.Is(err, io.EOF) { // more after the object
		return nil, false, false
	}
	if present {
		v := jsontext.Value(data)
		if err := v.Compact(strictText...); err != nil {
			return nil, false, false
		}
		data = v
	}
	return data, present, true
}

// FuzzDecodeDataBody checks the save body reader on any body: it never
// panics, takes exactly what jsontext takes (so no invalid UTF-8 or
// unpaired surrogate reaches a storage), and hands back its data compact.
func FuzzDecodeDataBody(f *testing.F) {
	for _, s := range []string{`{"data":{"a":1}}`, ` { "data" : { "a" : [ 1 , "x" ] } } `, `{"d\u0061ta":{}}`, `{}`, `{"data":[]}`, `{"other":1}`,
		`{"data":{"k":"\ud83d\ude00"}}`, `{"data":{"k":"\ud800"}}`, "{\"data\":{\"k\":\"\xff\"}}", `{"data":{},"data":{"b":2}}`, `[1]`, `{"data":{}} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantPresent, wantOK := refDataBody(body)
		data, present, err := decodeDataBody(bytes.Clone(body))
		if err != nil {
			if scopes.ErrorCode(err) != scopes.EInvalid || scopes.ErrorMessage(err) == "" {
				t.Fatalf("decodeDataBody(%q): %v, want an invalid error with a message", body, err)
			}
			if wantOK {
				t.Fatalf("decodeDataBody(%q) refused what jsontext takes: %v", body, err)
			}
			return
		}
		if !wantOK || present != wantPresent || !bytes.Equal(data, want) {
			t.Fatalf("decodeDataBody(%q) = %q, %v; jsontext says %q, %v, %v", body, data, present, want, wantPresent, wantOK)
		}
	})
}
