package web_test

import (
	"net/http"
	"sync"
	"testing"
)

func TestAPI_ConcurrentPatches(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			api := newTestAPI(t)
			key := api.app("shop", v.settings)
			cfid := api.create("shop", key, "sessions")
			s := "/api/v1/apps/shop/sessions/" + cfid

			// 50 concurrent increments of one key end at exactly 50.
			var wg sync.WaitGroup
			statuses := make(chan int, 50)
			for i := 0; i < 50; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses <- api.doQuiet("PATCH", s, key, `{"incr":{"hits":1}}`)
				}()
			}
			wg.Wait()
			close(statuses)
			for st := range statuses {
				if st != http.StatusOK {
					t.Fatalf("a concurrent PATCH answered %d", st)
				}
			}
			r := api.do("GET", s, key, "")
			if r.data(t)["hits"] != float64(50) || r.header.Get("ETag") != `"51"` {
				t.Fatalf("after 50 increments: hits=%v ETag=%s", r.data(t)["hits"], r.header.Get("ETag"))
			}

			// Two concurrent patches of different keys both survive.
			wg.Add(2)
			for _, body := range []string{`{"set":{"left":"L"}}`, `{"set":{"right":"R"}}`} {
				go func() {
					defer wg.Done()
					if st := api.doQuiet("PATCH", s, key, body); st != http.StatusOK {
						t.Errorf("PATCH %s answered %d", body, st)
					}
				}()
			}
			wg.Wait()
			d := api.do("GET", s, key, "").data(t)
			if d["left"] != "L" || d["right"] != "R" || d["hits"] != float64(50) {
				t.Fatalf("a concurrent patch was lost: %v", d)
			}

			// Concurrent conditional saves from the same version: exactly one wins.
			wins := make(chan int, 10)
			for i := 0; i < 10; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					wins <- api.doQuiet("PUT", s, key, `{"data":{"w":1}}`, "If-Match", `"53"`)
				}()
			}
			wg.Wait()
			close(wins)
			ok, stale := 0, 0
			for st := range wins {
				switch st {
				case http.StatusOK:
					ok++
				case http.StatusPreconditionFailed:
					stale++
				default:
					t.Fatalf("conditional PUT answered %d", st)
				}
			}
			if ok != 1 || stale != 9 {
				t.Fatalf("conditional saves: %d won, %d stale; want 1 and 9", ok, stale)
			}
		})
	}
}
