package scopes_test

import (
	"encoding/json"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// BenchmarkPatchApply applies a patch to a 2 KiB scope, as every PATCH does
// inside the storage's atomic update.
func BenchmarkPatchApply(b *testing.B) {
	for _, c := range []struct{ name, patch string }{
		{"incr", `{"incr":{"hits":1}}`},
		{"set", `{"set":{"lang":"de","cart":[{"sku":"SKU-1","qty":1}]}}`},
		{"unset", `{"unset":["flags"]}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			var p scopes.Patch
			if err := json.Unmarshal([]byte(c.patch), &p); err != nil {
				b.Fatal(err)
			}
			data := json.RawMessage(benchScopeData(benchScopeSize))
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := p.Apply(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPatchValidate checks a patch, as every PATCH does before any
// storage is touched.
func BenchmarkPatchValidate(b *testing.B) {
	var p scopes.Patch
	if err := json.Unmarshal([]byte(`{"set":{"lang":"de"},"unset":["cart"],"incr":{"hits":1}}`), &p); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
