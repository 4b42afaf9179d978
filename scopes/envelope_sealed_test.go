package scopes

import (
	"reflect"
	"testing"
	"time"
)

// DecodeSealedRecord reads what DecodeRecord reads, the data kept in place.
func TestDecodeSealedRecord(t *testing.T) {
	key := Key{App: "shop", Kind: Client, CFID: "0f8fad5b-d9cb-469f-a165-70867728950e"}
	now := time.UnixMilli(time.Now().UnixMilli())
	rec := Record{Key: key, Rev: NewRev(), CFToken: "0", TimeCreated: now, LastVisit: now, HitCount: 3,
		Expires: now.Add(time.Hour), Version: 2, Data: []byte(`{"a":[1,"\u2028"]}`)}
	for _, r := range []Record{rec, func() Record { r := rec; r.RotatedTo = "x"; return r }()} {
		b := EncodeRecord(r)
		want, err := DecodeRecord(key, b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeSealedRecord(key, b)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("DecodeSealedRecord = %+v, %v; want %+v", got, err, want)
		}
	}
	if _, err := DecodeSealedRecord(key, []byte(`{"v":9}`)); ErrorCode(err) != ECorrupt {
		t.Errorf("a foreign value: %v", err)
	}
}
