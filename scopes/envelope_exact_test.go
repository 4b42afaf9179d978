package scopes

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// parseExact reads what EncodeRecord writes as encoding/json does, and
// leaves anything else to it.
func TestParseExactMatchesUnmarshal(t *testing.T) {
	now := time.UnixMilli(time.Now().UnixMilli())
	key := Key{App: "shop", Kind: Client, CFID: NewCFID()}
	for _, rec := range []Record{
		{Key: key, CFToken: "0", TimeCreated: now, LastVisit: now, HitCount: 3, Expires: now.Add(time.Hour), Version: 7, Rev: NewRev(), Data: json.RawMessage(`{"a":"}"}`)},
		{Key: key, CFToken: "", TimeCreated: time.UnixMilli(-5), Expires: time.UnixMilli(0), Version: 1, Rev: "x", Data: json.RawMessage(`{}`)},
	} {
		b := EncodeRecord(rec)
		fast, ok := parseExact(key, b, nil, false)
		if !ok {
			t.Fatalf("parseExact refused %s", b)
		}
		var e envelope
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		slow := Record{Key: key, Rev: e.Rev, CFToken: e.CFToken, TimeCreated: time.UnixMilli(e.TimeCreated), LastVisit: time.UnixMilli(e.LastVisit),
			HitCount: e.HitCount, Expires: time.UnixMilli(e.Expires), Version: e.Version, Data: e.Data}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("parseExact(%s) = %+v, want %+v", b, fast, slow)
		}
	}
	for _, v := range []string{
		`{"v":1,"rev":"","cftoken":"0","timecreated":1,"lastvisit":1,"hitcount":0,"expires":1,"version":1,"data":{}}`,
		`{"v":1,"cftoken":"0","timecreated":1,"lastvisit":1,"hitcount":0,"expires":1,"version":1,"data":{"a":}`,
		`{"v":1,"cftoken":"0","timecreated":1,"lastvisit":1,"hitcount":0,"expires":1,"version":1,"data":{}}x`,
		`{"v":1,"cftoken":"a\"b","timecreated":1,"lastvisit":1,"hitcount":0,"expires":1,"version":1,"data":{}}`,
		`{"v":2,"cftoken":"0","timecreated":1,"lastvisit":1,"hitcount":0,"expires":1,"version":1,"data":{}}`,
	} {
		if _, ok := parseExact(key, []byte(v), nil, false); ok {
			t.Errorf("parseExact accepted %s", v)
		}
	}
}
