package web_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/scopestore/scopestore/scopes"
)

// refCompact is what CompactJSON must agree with: jsontext's Compact,
// refusing invalid UTF-8 and unpaired surrogate escapes as decodeDataBody's
// slow path does.
func refCompact(in []byte) ([]byte, bool) {
	v := jsontext.Value(bytes.Clone(in))
	if err := v.Compact(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(false)); err != nil {
		return nil, false
	}
	return []byte(v), true
}

func checkScan(t *testing.T, in []byte) {
	want, wantOK := refCompact(in)
	b := bytes.Clone(in)
	var mem []string
	got, ok := scopes.CompactJSON(b, func(k, v []byte) bool {
		var name string
		if err := json.Unmarshal(k, &name); err != nil {
			name = "!" + string(k)
		}
		mem = append(mem, name+"="+string(v))
		return true
	})
	if ok && got[0] == '{' {
		var ref []string
		d := jsontext.NewDecoder(bytes.NewReader(want), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
		if _, err := d.ReadToken(); err != nil {
			t.Fatalf("%q: the reference cannot read its own output: %v", in, err)
		}
		for d.PeekKind() != '}' {
			k, _ := d.ReadToken()
			ks := k.String()
			v, _ := d.ReadValue()
			ref = append(ref, ks+"="+string(v))
		}
		mem = mem[len(mem)-len(ref):]
		if strings.Join(ref, "\x00") != strings.Join(mem, "\x00") {
			t.Fatalf("%q: members %q, want %q", in, mem, ref)
		}
	}
	if ok && (!wantOK || !bytes.Equal(got, want)) {
		t.Fatalf("%q: got %q %v, want %q %v", in, got, ok, want, wantOK)
	}
	if !ok && !bytes.Equal(b, in) {
		t.Fatalf("%q: changed on failure to %q", in, b)
	}
	if v := scopes.ValidJSON(in); v && !json.Valid(in) {
		t.Fatalf("%q: ValidJSON true, json.Valid false", in)
	} else if v != ok {
		t.Fatalf("%q: ValidJSON %v, CompactJSON %v", in, v, ok)
	}
	if wantOK && !ok && bytes.Count(in, []byte{'['})+bytes.Count(in, []byte{'{'}) <= 1000 {
		t.Fatalf("%q: fast path refused valid", in)
	}
}

func TestCompactJSONMatchesJsontext(t *testing.T) {
	for _, s := range []string{`{}`, ` { "a" : [1, {"b":"}]\"{"}], "c": "x y" } `, `{"d\u0061ta":{"n":-1.5e3}}`,
		`[1,2,]`, `01`, `-`, `1.`, `1e`, `1e+`, `-0.0e-0`, `"\ud800"`, `"\x"`, "\"a\x01\"", `tru`, `true false`, `{"a" 1}`, `{"a":1,}`,
		`[`, `]`, `{]`, `[}`, `""`, `"\u00e9\uABCD"`, "\"\xff\xfe\"", `null`, `  `, ``, `{"a":{"b":[[[]]]}}`, `[1 2]`, `{"a":1 "b":2}`,
		// UTF-8 and surrogate escapes, as jsontext takes them without AllowInvalidUTF8.
		`"\ud83d\ude00"`, `"\uD83D\uDE00x"`, `"\udc00"`, `"\ud800\ud800"`, `"\ud800x"`, `"\ud800\u00e9"`, `"\ud800\"`,
		"\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "\"\xc3\"", "\"\xc3\xa9\xc3\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "\"\xf4\x90\x80\x80\"",
		"{\"k\xff\":1}", "{\"data\":{\"a\":\"abcdefghijklmnopqrstuvwxyz\x80\"}}", "\"abcdefgh\xe2\x82\xacabcdefgh\xff\"",
		"{\"\xef\xbf\xbd\":\"\xef\xbf\xbd\"}",
		// Numbers with a fraction, which the fast path takes inline up to what follows them.
		`{"p":12.99}`, `[1.5,2]`, `[1.]`, `[1.e3]`, `[12.99e3]`, `[1.5 ]`, `[9.9x]`, `{"a":1.}`, `[1..2]`, `[1.2.3]`, `7.25`} {
		checkScan(t, []byte(s))
	}
}

func FuzzCompactJSON(f *testing.F) {
	for _, s := range []string{`{}`, ` { "a" : [1, {"b":"}]\"{"}], "c": "x y" } `, `{"d\u0061ta":{"n":-1.5e3}}`, `[1,true,null,false,"x",-2.5E+7]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkScan(t, in) })
}

// The member callback sees each top-level member of an object, compact,
// and may stop the scan by answering false.
func TestCompactJSONMembers(t *testing.T) {
	in := []byte(` { "a" : [1, {"b":"}]\"{"}], "c": "x y" , "data" : { "k" : 1 } } `)
	var got []string
	out, ok := scopes.CompactJSON(in, func(k, v []byte) bool { got = append(got, string(k)+"="+string(v)); return true })
	want := []string{`"a"=[1,{"b":"}]\"{"}]`, `"c"="x y"`, `"data"={"k":1}`}
	if len(got) >= len(want) {
		got = got[len(got)-len(want):] // the compacting pass, after the validating one
	}
	if !ok || string(out) != `{"a":[1,{"b":"}]\"{"}],"c":"x y","data":{"k":1}}` || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("CompactJSON = %q, %v, members %q; want members %q", out, ok, got, want)
	}
	in = []byte(`{"a":1,"data":{}}`)
	if _, ok := scopes.CompactJSON(in, func(k, _ []byte) bool { return string(k) != `"data"` }); ok {
		t.Fatal("a member callback answering false did not stop the scan")
	}
}

func benchData() []byte {
	var b strings.Builder
	b.WriteString(`{"data":{"user":{"id":48213,"name":"Ann Example","roles":["customer","beta"]},"flags":{"lang":"en","theme":"dark"},"cart":[`)
	for i := 0; b.Len() < 2048*3/4; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"sku":"SKU-` + string(rune('0'+i%10)) + `123","qty":2,"price":9.99}`)
	}
	b.WriteString(`],"pad":"`)
	b.WriteString(strings.Repeat("x", max(0, 2048-b.Len()-2)))
	b.WriteString(`"}}`)
	return []byte(b.String())
}

func BenchmarkCompactJSON(b *testing.B) {
	d := benchData()
	b.SetBytes(int64(len(d)))
	for b.Loop() {
		if _, ok := scopes.CompactJSON(d, func(k, v []byte) bool { return true }); !ok {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkJsontextCompact(b *testing.B) {
	d := benchData()
	b.SetBytes(int64(len(d)))
	for b.Loop() {
		v := jsontext.Value(d)
		if err := v.Compact(jsontext.AllowDuplicateNames(true)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONValid(b *testing.B) {
	d := benchData()
	b.SetBytes(int64(len(d)))
	for b.Loop() {
		json.Valid(d)
	}
}
