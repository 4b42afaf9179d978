package scopes

import (
	"bytes"
	"encoding/json"
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
