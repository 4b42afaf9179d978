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
