package client

import (
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestChanges_Patch(t *testing.T) {
	tests := []struct {
		name string
		do   func(cs changes)
		want Patch
	}{
		{"incr stays incr", func(cs changes) { cs.incr("n", 1, 4); cs.incr("n", 2, 6) },
			Patch{Incr: map[string]int64{"n": 3}}},
		{"incr after set is a set of the sum", func(cs changes) { cs["n"] = change{op: opSet, value: 5.0}; cs.incr("n", 1, 6) },
			Patch{Set: map[string]any{"n": 6.0}}},
		{"incr after unset is a set", func(cs changes) { cs["n"] = change{op: opUnset}; cs.incr("n", 2, 2) },
			Patch{Set: map[string]any{"n": 2.0}}},
		{"one op per key", func(cs changes) {
			cs["a"] = change{op: opSet, value: "x"}
			cs["b"] = change{op: opUnset}
			cs.incr("c", 1, 1)
		}, Patch{Set: map[string]any{"a": "x"}, Unset: []string{"b"}, Incr: map[string]int64{"c": 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := changes{}
			tt.do(cs)
			got := cs.patch()
			slices.Sort(got.Unset)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("patch %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	type item struct {
		ID  int    `json:"id"`
		Tag string `json:"tag"`
	}
	got, err := normalize(map[string]any{"items": []item{{1, "a"}}, "n": 3})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"items": []any{map[string]any{"id": 1.0, "tag": "a"}}, "n": 3.0}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("normalize = %#v", got)
	}
	if _, err := normalize(make(chan int)); err == nil {
		t.Fatal("a channel was encoded")
	}
}

func TestParseTimeout(t *testing.T) {
	tests := map[string]time.Duration{
		"30m": 30 * time.Minute, "90d": 90 * 24 * time.Hour, "1d12h": 36 * time.Hour, "1800": 30 * time.Minute, "2h0m5s": 2*time.Hour + 5*time.Second,
	}
	for in, want := range tests {
		if got, ok := parseTimeout(in); !ok || got != want {
			t.Errorf("parseTimeout(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "m", "3x", "1.5h"} {
		if _, ok := parseTimeout(in); ok {
			t.Errorf("parseTimeout(%q) accepted", in)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	if got := parseRetryAfter("7"); got != 7*time.Second {
		t.Errorf("7 → %v", got)
	}
	if got := parseRetryAfter(""); got != defaultRetryAfter {
		t.Errorf("absent → %v", got)
	}
	future := time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)
	if got := parseRetryAfter(future); got < 55*time.Second || got > 61*time.Second {
		t.Errorf("a date a minute ahead → %v", got)
	}
}

func TestNewCFID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := NewCFID()
		if !validCFID(id) || id[14] != '4' || !slices.Contains([]byte("89ab"), id[19]) || seen[id] {
			t.Fatalf("NewCFID = %s", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "0f8fad5b-d9cb-469f-a165-70867728950", "0f8fad5b_d9cb-469f-a165-70867728950e", "../../settings", "0f8fad5b-d9cb-469f-a165-70867728950g"} {
		if validCFID(bad) {
			t.Errorf("validCFID(%q)", bad)
		}
	}
}

// appendPatch writes what encoding/json writes for a Patch, values included.
func TestAppendPatch(t *testing.T) {
	type item struct {
		ID int `json:"id"`
	}
	values := []any{nil, true, false, "", "ann", `quo"te`, "tab\there", "<b>&", "grüße", "\xff",
		0.0, 1.0, -7.0, 2.5, 1e20, 1e21, 1e-7, float64(1 << 53), -float64(1<<53) + 1, math.Copysign(0, -1),
		3, int64(-4), []any{1.0, "a"}, map[string]any{"b": 1.0, "a": []any{}}, item{ID: 3}}
	for _, v := range values {
		for _, key := range []string{"k", "ü", `k"`} {
			p := Patch{Set: map[string]any{key: v}}
			got, err := appendPatch(nil, p)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(p)
			if string(got) != string(want) {
				t.Errorf("set %q: %#v: %s, encoding/json writes %s", key, v, got, want)
			}
		}
	}
	p := Patch{Set: map[string]any{"a": 1.0, "b": "x"}, Unset: []string{"c", "d"}, Incr: map[string]int64{"e": -2, "f": 3}}
	got, err := appendPatch(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(p)
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil || !reflect.DeepEqual(g, w) {
		t.Fatalf("appendPatch %s, encoding/json %s", got, want)
	}
	for _, p := range []Patch{{}, {Incr: map[string]int64{"n": 1}}, {Unset: []string{"x"}}} {
		got, _ := appendPatch(nil, p)
		want, _ := json.Marshal(p)
		if string(got) != string(want) {
			t.Errorf("appendPatch %s, encoding/json %s", got, want)
		}
	}
	if _, err := appendPatch(nil, Patch{Set: map[string]any{"f": func() {}}}); err == nil {
		t.Fatal("a value that is not JSON was encoded")
	}
}
