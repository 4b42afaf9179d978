package main

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/scopestore/scopestore/web/client"
)

// newGoApp is app-go: GET /hit behind web/client's middleware, on the
// scopestore at upstream (the run's server; the bench app keeps sessions
// on Redis with cluster = true). A hit is one PATCH {"incr":{"n":1}}, sent
// when the handler reads n after its Incr, whose answer is the session (a
// new visitor's first hit: a PUT with If-None-Match: * instead).
//
// The client gets an http.Client only to count its calls: the transport is
// the one client.New builds (with DefaultMaxIdleConnsPerHost idle
// connections), wrapped by a counter.
func newGoApp(upstream, key string) (http.Handler, func() error, error) {
	if upstream == "" || key == "" {
		return nil, nil, errors.New("$" + envAppUpstream + " and $" + envAppKey + " must name the scopestore and the bench app's key")
	}
	var cnt appCounters
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = client.DefaultMaxIdleConnsPerHost
	tr.MaxIdleConns = max(tr.MaxIdleConns, 2*client.DefaultMaxIdleConnsPerHost)
	tr.IdleConnTimeout = 90 * time.Second
	hc := &http.Client{Transport: countingTransport{tr, &cnt.calls}, Timeout: client.DefaultTimeout}
	c, err := client.New(upstream, benchApp, key, client.WithHTTPClient(hc))
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /hit", c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := client.SessionFrom(r)
		s.Incr("n", 1)
		n, _ := s.Get("n").(float64)
		cnt.hits.Add(1)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, strconv.FormatInt(int64(n), 10))
	})))
	mux.HandleFunc("GET /stats", cnt.serveStats)
	return mux, func() error { tr.CloseIdleConnections(); return nil }, nil
}

// countingTransport counts the requests it sends.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(r)
}
