package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkBareMemoryCycle is bare-memory's load and save of a 2 KiB
// scope in process, through httptest as web's BenchmarkAPICycle/memory
// sends scopestore's: the difference is the API's own work on a cycle.
func BenchmarkBareMemoryCycle(b *testing.B) {
	h := bareRoutes(&memoryBare{m: map[string][]byte{}})
	body := putBody(makeData(2048), 1)
	send := func(method, path string, body []byte, want int) *httptest.ResponseRecorder {
		var req *http.Request
		if body != nil {
			req = httptest.NewRequest(method, path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req = httptest.NewRequest(method, path, nil)
		}
		// The header scopestore's requests carry, so that both parse as much.
		req.Header.Set("Authorization", "Bearer ssk_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("%s %s: %d", method, path, rec.Code)
		}
		return rec
	}
	var created struct {
		CFID string `json:"cfid"`
	}
	if err := json.Unmarshal(send("POST", sessionsPath, body, http.StatusCreated).Body.Bytes(), &created); err != nil {
		b.Fatal(err)
	}
	path := sessionsPath + "/" + created.CFID
	b.ReportAllocs()
	for b.Loop() {
		send("GET", path, nil, http.StatusOK)
		send("PUT", path, body, http.StatusOK)
	}
}
