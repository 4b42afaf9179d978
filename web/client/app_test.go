package client_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"

	"github.com/scopestore/scopestore/web/client"
)

// countingTransport records the API calls a Client makes.
type countingTransport struct {
	mu    sync.Mutex
	calls []string // "METHOD /api/v1/…"
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.mu.Lock()
	ct.calls = append(ct.calls, r.Method+" "+r.URL.Path)
	ct.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// take returns the calls recorded since the last take.
func (ct *countingTransport) take() []string {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	calls := ct.calls
	ct.calls = nil
	return calls
}

// methods returns the calls' methods, in order, joined by spaces.
func methods(calls []string) string {
	ms := make([]string, len(calls))
	for i, c := range calls {
		ms[i], _, _ = strings.Cut(c, " ")
	}
	return strings.Join(ms, " ")
}

// countedClient returns a Client whose calls are recorded.
func countedClient(t *testing.T, ts *testServer, opts ...client.Option) (*client.Client, *countingTransport) {
	t.Helper()
	ct := &countingTransport{}
	opts = append([]client.Option{client.WithHTTPClient(&http.Client{Transport: ct})}, opts...)
	return newClient(t, ts, opts...), ct
}

// appServer serves an application's handler behind c's middleware.
func appServer(t *testing.T, c *client.Client, h http.HandlerFunc) string {
	t.Helper()
	return serve(t, c.Middleware(h)).URL
}

// browser is a visitor with a cookie jar shared by every app server (a
// jar does not tell ports apart, as browsers do not).
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is one answer the browser got.
type page struct {
	status  int
	body    string
	header  http.Header
	cookies []*http.Cookie
}

// get requests url; it may run in any goroutine.
func (b *browser) get(url string) (page, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return page{}, err
	}
	res, err := b.hc.Do(req)
	if err != nil {
		return page{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return page{}, err
	}
	return page{status: res.StatusCode, body: string(body), header: res.Header, cookies: res.Cookies()}, nil
}

// mustGet requests url and fails the test unless the answer is 200.
func (b *browser) mustGet(url string) page {
	b.t.Helper()
	p, err := b.get(url)
	if err != nil {
		b.t.Fatal(err)
	}
	if p.status != http.StatusOK {
		b.t.Fatalf("GET %s: %d %s", url, p.status, p.body)
	}
	return p
}

// cookie returns the value of the browser's cookie name for url.
func (b *browser) cookie(url, name string) string {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for _, c := range b.hc.Jar.Cookies(req.URL) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a cookie in the browser's jar, as a copied cookie would be.
func (b *browser) setCookie(url, name, value string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	b.hc.Jar.SetCookies(req.URL, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// setCookieOf returns the Set-Cookie of name in the answer, or nil.
func (p page) setCookieOf(name string) *http.Cookie {
	for _, c := range p.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// counter is a page that counts the visitor's requests in the session.
func counter(w http.ResponseWriter, r *http.Request) {
	s := client.SessionFrom(r)
	s.Incr("n", 1)
	fmt.Fprint(w, s.Get("n"))
}

// show writes the session's data keys given in ?k=a,b as a=…;b=….
func show(w http.ResponseWriter, r *http.Request) {
	s := client.SessionFrom(r)
	var parts []string
	for _, k := range strings.Split(r.URL.Query().Get("k"), ",") {
		parts = append(parts, fmt.Sprintf("%s=%v", k, s.Get(k)))
	}
	fmt.Fprint(w, strings.Join(parts, ";"))
}
