package scopes

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDecodeRecordKnown(t *testing.T) {
	now := time.UnixMilli(time.Now().UnixMilli())
	rec := Record{
		Key: Key{App: "shop", Kind: Session, CFID: NewCFID()}, Rev: NewRev(), CFToken: "0",
		TimeCreated: now, LastVisit: now, Expires: now.Add(time.Hour), Version: 3,
		Data: json.RawMessage(`{"cart":[1,2],"name":"Zoë"}`),
	}
	stored := EncodeRecord(rec)

	known := json.RawMessage(`{"cart":[1,2],"name":"Zoë"}`)
	got, err := DecodeRecordKnown(rec.Key, stored, known)
	if err != nil || string(got.Data) != string(rec.Data) || got.Version != 3 || got.Rev != rec.Rev {
		t.Fatalf("DecodeRecordKnown with the same data = %+v, %v", got, err)
	}
	if &got.Data[0] != &known[0] {
		t.Error("the same data was copied; want known shared")
	}

	got, err = DecodeRecordKnown(rec.Key, stored, json.RawMessage(`{"cart":[1]}`))
	if err != nil || string(got.Data) != string(rec.Data) {
		t.Fatalf("DecodeRecordKnown with other data = %s, %v; want the stored data", got.Data, err)
	}
	if &got.Data[0] == &stored[len(stored)-len(rec.Data)-1] {
		t.Error("other data is kept in place; want a copy, as DecodeRecord makes")
	}

	// An envelope in another form (fields in another order) is read by
	// encoding/json, as DecodeRecord reads it.
	got, err = DecodeRecordKnown(rec.Key, []byte(`{"v":1,"version":2,"data":{"cart":[1,2],"name":"Zoë"},"rev":"r1"}`), known)
	if err != nil || got.Version != 2 || got.Rev != "r1" || string(got.Data) != string(known) {
		t.Fatalf("DecodeRecordKnown of an envelope in another form = %+v, %v", got, err)
	}

	// Stored data that is not JSON is corrupt whatever the caller knows.
	rec.Data = json.RawMessage(`{"cart":[1,2}`)
	if _, err := DecodeRecordKnown(rec.Key, EncodeRecord(rec), known); ErrorCode(err) != ECorrupt {
		t.Errorf("DecodeRecordKnown of invalid stored data = %v; want a corrupt error", err)
	}
}
