package scopes_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Micro-benchmarks of the hot paths of one API request, on a 2 KiB scope
// (scopebench's default -size). Run them with
//
//	go test -run '^$' -bench . -benchmem ./scopes

// benchScopeSize is the size of the scope data the benchmarks use.
const benchScopeSize = 2048

// benchScopeData returns a compact JSON object of about size bytes that
// looks like a session: a user, flags, a cart and padding.
func benchScopeData(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"user":{"id":48213,"name":"Ann Example","roles":["customer","beta"]},"flags":{"lang":"en","theme":"dark"},"hits":0,"cart":[`)
	for i := 0; b.Len() < size*3/4; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"sku":"SKU-` + strconv.Itoa(1000+i) + `","qty":2,"price":9.99}`)
	}
	b.WriteString(`],"pad":"`)
	b.WriteString(strings.Repeat("x", max(0, size-b.Len()-2)))
	b.WriteString(`"}`)
	return []byte(b.String())
}

func benchRecord(kind scopes.Kind) scopes.Record {
	now := time.UnixMilli(time.Now().UnixMilli())
	return scopes.Record{
		Key:     scopes.Key{App: "shop", Kind: kind, CFID: scopes.NewCFID()},
		CFToken: "0", TimeCreated: now.Add(-time.Hour), LastVisit: now, Expires: now.Add(30 * time.Minute),
		Version: 42, Data: benchScopeData(benchScopeSize),
	}
}

// BenchmarkEncodeRecord writes the envelope that Redis and SQL stores keep.
func BenchmarkEncodeRecord(b *testing.B) {
	rec := benchRecord(scopes.Session)
	b.ReportAllocs()
	b.SetBytes(int64(len(rec.Data)))
	for b.Loop() {
		_ = scopes.EncodeRecord(rec)
	}
}

// BenchmarkDecodeRecord reads it back, as every load from Redis or SQL does.
func BenchmarkDecodeRecord(b *testing.B) {
	rec := benchRecord(scopes.Session)
	value := scopes.EncodeRecord(rec)
	b.ReportAllocs()
	b.SetBytes(int64(len(rec.Data)))
	for b.Loop() {
		if _, err := scopes.DecodeRecord(rec.Key, value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScopeJSON renders the API's answer to a load or a save: with
// Scope.AppendJSON, as the web package does, and with encoding/json, which
// validates and compacts the data again, for comparison.
func BenchmarkScopeJSON(b *testing.B) {
	for _, kind := range scopes.Kinds {
		rec := benchRecord(kind)
		b.Run(string(kind)+"/AppendJSON", func(b *testing.B) {
			buf := make([]byte, 0, len(rec.Data)+512)
			b.ReportAllocs()
			b.SetBytes(int64(len(rec.Data)))
			for b.Loop() {
				buf = scopes.NewScope(&rec, "memory").AppendJSON(buf[:0])
			}
		})
		b.Run(string(kind)+"/encoding-json", func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			b.SetBytes(int64(len(rec.Data)))
			for b.Loop() {
				buf.Reset()
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(scopes.NewScope(&rec, "memory")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
