package scopes

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// jsonText is s as a JSON string gives it back: invalid UTF-8 becomes
// U+FFFD, byte by byte, as encoding/json does.
func jsonText(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back string
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

// FuzzEnvelopeRoundTrip checks that DecodeRecord reads back what
// EncodeRecord wrote, whatever the strings hold.
func FuzzEnvelopeRoundTrip(f *testing.F) {
	f.Add("r1", "0", "", int64(1700000000000), int64(1700000000001), int64(7), int64(1700000600000), int64(9), []byte(`{"a":[1,"x"]}`))
	f.Add("", `0"q\`, "0f8fad5b-d9cb-469f-a165-70867728950e", int64(-1), int64(0), int64(-7), int64(1), int64(0), []byte(` { "b" : 2 } `))
	f.Add("\x01\u2028", "\xff\a", "\\u00e9", int64(1<<62), int64(-1<<62), int64(0), int64(0), int64(1), []byte(`{}`))
	f.Fuzz(func(t *testing.T, rev, cftoken, rotatedTo string, tc, lv, hc, ex, ver int64, data []byte) {
		if !ValidJSON(data) || data[0] != '{' {
			data = []byte(`{}`)
		}
		key := Key{App: "shop", Kind: Session, CFID: "0f8fad5b-d9cb-469f-a165-70867728950e"}
		rec := Record{Key: key, Rev: rev, CFToken: cftoken, TimeCreated: time.UnixMilli(tc), LastVisit: time.UnixMilli(lv),
			HitCount: hc, Expires: time.UnixMilli(ex), Version: ver, RotatedTo: rotatedTo, Data: data}
		b := EncodeRecord(rec)
		if !json.Valid(b) {
			t.Fatalf("EncodeRecord wrote no JSON: %q", b)
		}
		got, err := DecodeRecord(key, b)
		if err != nil {
			t.Fatalf("DecodeRecord(%q): %v", b, err)
		}
		wantRev := jsonText(t, rev)
		if rev == "" {
			wantRev = LegacyRev(ver)
		}
		if got.Key != key || got.Rev != wantRev || got.CFToken != jsonText(t, cftoken) || got.RotatedTo != jsonText(t, rotatedTo) ||
			got.TimeCreated.UnixMilli() != tc || got.LastVisit.UnixMilli() != lv || got.HitCount != hc ||
			got.Expires.UnixMilli() != ex || got.Version != ver || string(got.Data) != strings.Trim(string(data), " \t\r\n") {
			t.Fatalf("round trip of %q:\n got %+v\nwant %+v", b, got, rec)
		}
	})
}

// FuzzDecodeRecord feeds DecodeRecord any stored value: it never panics,
// and what it reads, written again, reads the same.
func FuzzDecodeRecord(f *testing.F) {
	key := Key{App: "shop", Kind: Client, CFID: "0f8fad5b-d9cb-469f-a165-70867728950e"}
	f.Add(EncodeRecord(Record{Key: key, Rev: "r", CFToken: "0", Version: 3, Data: []byte(`{"a":1}`)}))
	f.Add(EncodeRecord(Record{Key: key, Rev: "r", CFToken: "0", Version: 3, RotatedTo: "x", Data: []byte(`{}`)}))
	f.Add([]byte(`{"v":1,"data":{}}`))
	f.Add([]byte(`rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA==`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := DecodeRecord(key, b)
		if err != nil {
			if ErrorCode(err) != ECorrupt {
				t.Fatalf("DecodeRecord(%q): %v, want a corrupt error", b, err)
			}
			return
		}
		if !json.Valid(rec.Data) || rec.Data[0] != '{' {
			t.Fatalf("DecodeRecord(%q) gave data %q", b, rec.Data)
		}
		again, err := DecodeRecord(key, EncodeRecord(rec))
		if err != nil || again.Rev != jsonText(t, rec.Rev) || again.CFToken != jsonText(t, rec.CFToken) || again.Version != rec.Version ||
			again.HitCount != rec.HitCount || again.RotatedTo != jsonText(t, rec.RotatedTo) || string(again.Data) != string(rec.Data) ||
			!again.Expires.Equal(rec.Expires) || !again.LastVisit.Equal(rec.LastVisit) || !again.TimeCreated.Equal(rec.TimeCreated) {
			t.Fatalf("%q read, written and read again: %+v, %v; want %+v", b, again, err, rec)
		}
	})
}
