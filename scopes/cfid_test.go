package scopes

import "testing"

func TestNewCFID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := NewCFID()
		if !ValidCFID(id) || id[14] != '4' || !(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') {
			t.Fatalf("%q is not a version-4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("duplicate cfid %s", id)
		}
		seen[id] = true
	}
}

func TestValidCFID(t *testing.T) {
	for id, want := range map[string]bool{
		"0f8fad5b-d9cb-469f-a165-70867728950e":  true,
		"0F8FAD5B-D9CB-469F-A165-70867728950E":  true,
		"0f8fad5b-d9cb-469f-a165-70867728950":   false,
		"0f8fad5b-d9cb-469f-a165-70867728950e1": false,
		"0f8fad5bxd9cb-469f-a165-70867728950e":  false,
		"0g8fad5b-d9cb-469f-a165-70867728950e":  false,
		"../../etc/passwd":                      false,
		"":                                      false,
	} {
		if ValidCFID(id) != want {
			t.Errorf("ValidCFID(%q) != %v", id, want)
		}
	}
}
