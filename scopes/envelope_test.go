package scopes

import (
	"encoding/json"
	"testing"
	"time"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	now := time.UnixMilli(time.Now().UnixMilli())
	rec := Record{
		Key:     Key{App: "shop", Kind: Client, CFID: NewCFID()},
		CFToken: `0"quoted"`, TimeCreated: now.Add(-time.Hour), LastVisit: now, HitCount: 7,
		Expires: now.Add(time.Hour), Version: 9, Data: json.RawMessage(`{"a":[1,"x"]}`),
	}
	got, err := DecodeRecord(rec.Key, EncodeRecord(rec))
	if err != nil {
		t.Fatal(err)
	}
	if got.CFToken != rec.CFToken || !got.TimeCreated.Equal(rec.TimeCreated) || !got.LastVisit.Equal(rec.LastVisit) ||
		got.HitCount != 7 || !got.Expires.Equal(rec.Expires) || got.Version != 9 || string(got.Data) != string(rec.Data) {
		t.Fatalf("round trip: %+v != %+v", got, rec)
	}
}

func TestDecodeForeignValue(t *testing.T) {
	key := Key{App: "shop", Kind: Session, CFID: NewCFID()}
	for _, v := range []string{"rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA==", `{"v":2,"data":{}}`, `{"v":1,"data":[1]}`, `[]`, ``} {
		if _, err := DecodeRecord(key, []byte(v)); ErrorCode(err) != ECorrupt {
			t.Errorf("DecodeRecord(%q) = %v; want a corrupt error", v, err)
		}
	}
}

// The cftoken, rev and rotatedto are written as JSON strings: a character
// that Go quotes otherwise than JSON (a control character, U+2028, a quote,
// a backslash) comes back as it was, not as a corrupt value.
func TestEnvelopeOddStrings(t *testing.T) {
	key := Key{App: "shop", Kind: Session, CFID: NewCFID()}
	for _, s := range []string{"\a\b\f\v\x00\x01\x1f\x7f", `q"u\o\\te`, "line\nbreak\ttab\r", "\u2028\u2029", "é€😀", "\uFFFD", "</script>&"} {
		rec := Record{Key: key, Rev: "r" + s, CFToken: s, Version: 3, RotatedTo: "to" + s, Data: json.RawMessage(`{}`)}
		b := EncodeRecord(rec)
		if !json.Valid(b) {
			t.Fatalf("EncodeRecord with %q is not JSON: %s", s, b)
		}
		got, err := DecodeRecord(key, b)
		if err != nil {
			t.Fatalf("DecodeRecord(EncodeRecord(cftoken %q)): %v", s, err)
		}
		if got.CFToken != rec.CFToken || got.Rev != rec.Rev || got.RotatedTo != rec.RotatedTo {
			t.Errorf("round trip of %q: cftoken %q, rev %q, rotatedto %q", s, got.CFToken, got.Rev, got.RotatedTo)
		}
	}
}
