package client_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/scopestore/scopestore/web/client"
)

// Many visitors at once through two app servers, and one visitor with
// several tabs: every count is exact. Run with -race.
func TestMiddleware_Concurrency(t *testing.T) {
	forEachBackend(t, func(t *testing.T, ts *testServer) {
		apps := []string{appServer(t, newClient(t, ts), counter), appServer(t, newClient(t, ts), counter)}
		const visitors, each = 8, 25
		var wg sync.WaitGroup
		for v := range visitors {
			wg.Go(func() {
				b := newBrowser(t)
				for i := 1; i <= each; i++ {
					p, err := b.get(apps[(v+i)%2])
					if err != nil || p.status != http.StatusOK || p.body != strconv.Itoa(i) {
						t.Errorf("visitor %d, request %d: %+v %v", v, i, p, err)
						return
					}
				}
			})
		}
		wg.Wait()

		// One visitor, four tabs: concurrent increments of one key all count.
		b := newBrowser(t)
		b.mustGet(apps[0])
		const tabs, clicks = 4, 10
		for tab := range tabs {
			wg.Go(func() {
				for i := range clicks {
					if p, err := b.get(apps[(tab+i)%2]); err != nil || p.status != http.StatusOK {
						t.Errorf("tab %d: %+v %v", tab, p, err)
						return
					}
				}
			})
		}
		wg.Wait()
		if got := b.mustGet(apps[1]).body; got != strconv.Itoa(1+tabs*clicks+1) {
			t.Fatalf("after %d concurrent clicks the count is %s, want %d", tabs*clicks, got, 1+tabs*clicks+1)
		}
	})
}

// A handler may use the scope from several goroutines once it is loaded.
func TestScope_ConcurrentUseInOneRequest(t *testing.T) {
	ts := startServer(t, backends[0])
	c := newClient(t, ts)
	app := appServer(t, c, func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		if err := s.Load(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				s.Incr("n", 1)
				s.Set("k"+strconv.Itoa(i), i)
				_ = s.Get("n")
			})
		}
		wg.Wait()
		fmt.Fprint(w, s.Get("n"))
	})
	b := newBrowser(t)
	if got := b.mustGet(app).body; got != "10" {
		t.Fatalf("n = %s", got)
	}
	rec, err := c.Sessions().Get(context.Background(), b.cookie(app, "CFID"))
	if err != nil || rec.Data["n"] != 10.0 || rec.Data["k9"] != 9.0 {
		t.Fatalf("stored %+v, %v", rec, err)
	}
}
