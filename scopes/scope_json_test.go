package scopes

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"
)

// AppendJSON writes what encoding/json writes for a Scope (without HTML escaping).
func TestScopeAppendJSONMatchesEncodingJSON(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 123_000_000, time.UTC)
	hits := int64(7)
	for _, sc := range []*Scope{
		{CFID: NewCFID(), CFToken: "0", URLToken: URLToken("a", "0"), SessionID: "shop_a_0", TimeCreated: now,
			LastVisit: now.Add(time.Second), Expires: now.Add(time.Hour), Version: 3, Storage: "memory",
			Data: json.RawMessage(`{"a":[1,"x"],"b":{"c":null}}`)},
		{CFID: "x", CFToken: "q\"\\\n\t\r\x01<>&\u2028é", URLToken: "CFID=x&CFTOKEN=0", TimeCreated: now, LastVisit: now,
			HitCount: &hits, Expires: now, Version: 1, Storage: "my.cache", Data: json.RawMessage(`{}`)},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(sc); err != nil {
			t.Fatal(err)
		}
		got := string(sc.AppendJSON(nil)) + "\n"
		if got != want.String() {
			t.Errorf("AppendJSON:\n%s\nencoding/json:\n%s", got, want.String())
		}
	}
}

// appendJSONTime writes what AppendFormat writes in RFC3339Nano, quoted,
// for UTC times (its own path) and others (AppendFormat's).
func TestAppendJSONTimeMatchesRFC3339Nano(t *testing.T) {
	east := time.FixedZone("east", 5*3600+30*60)
	times := []time.Time{
		{},
		time.Date(2026, 12, 6, 3, 4, 5, 0, time.UTC),
		time.Date(2026, 12, 6, 3, 4, 5, 120_000_000, time.UTC),
		time.Date(2026, 1, 9, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 1, 9, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 100, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 6, 3, 4, 5, 343_000_000, east),
		time.UnixMilli(1_796_000_000_123), // Local
	}
	for i := range 2000 {
		times = append(times, time.UnixMilli(int64(i)*7_919_993_111+int64(i%1000)).UTC())
	}
	for _, tm := range times {
		want := `"` + tm.Format(time.RFC3339Nano) + `"`
		if got := string(appendJSONTime(nil, tm)); got != want {
			t.Fatalf("appendJSONTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

// appendJSONString escapes what encoding/json escapes (without HTML
// escaping), wherever the byte falls in the eight-byte runs it skips.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	pieces := []string{"a", "bcdefghij", "\"", "\\", "\n", "\x01", "\x7f", "é", "\u2028", "\u2029", "\xff", "\xe2\x80", "<&>", "z"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		var s strings.Builder
		for range rng.IntN(12) {
			s.WriteString(pieces[rng.IntN(len(pieces))])
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s.String()); err != nil {
			t.Fatal(err)
		}
		if got := string(appendJSONString(nil, s.String())) + "\n"; got != want.String() {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json: %s", s.String(), got, want.String())
		}
	}
}

// queryEscape is url.QueryEscape, for every byte.
func TestQueryEscapeMatchesURL(t *testing.T) {
	for c := range 256 {
		for _, s := range []string{string(rune(c)), string([]byte{byte(c)}), "0f8fad5b-d9cb-469f" + string([]byte{byte(c)}) + "x"} {
			if got, want := queryEscape(s), url.QueryEscape(s); got != want {
				t.Fatalf("queryEscape(%q) = %q, url.QueryEscape: %q", s, got, want)
			}
		}
	}
	if got := URLToken("0F8FAD5B-d9cb-469f-a165-70867728950e", "a b&c"); got != "CFID=0F8FAD5B-d9cb-469f-a165-70867728950e&CFTOKEN=a+b%26c" {
		t.Fatalf("URLToken: %q", got)
	}
}
