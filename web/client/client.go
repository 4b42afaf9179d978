package client

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one app's part of scopestore's runtime API; it is safe for
// concurrent use and should be made once and shared, so that its
// connections are reused.
type Client struct {
	baseURL string // the server's root, without a trailing slash
	appURL  string // baseURL + /api/v1/apps/{app}
	app     string
	key     string
	// authorization is the Authorization header's value, made once.
	authorization []string
	hc            *http.Client
	// rt and timeout, when rt is set, send the calls on hc's transport
	// directly, bounded by timeout: http.Client.Do would copy each
	// request's header for redirects (the API answers none) and, on a
	// transport it does not know (a wrapper), start a goroutine and a
	// timer per call for its Timeout. Set unless hc has a cookie jar or a
	// redirect policy of its own.
	rt      http.RoundTripper
	timeout time.Duration
	// transport is the pooled transport New built, nil when the caller
	// brought its own *http.Client.
	transport *http.Transport

	sessions    *Scopes
	clients     *Scopes
	application *Shared
	server      *Shared

	cookies             Cookies
	trustForwardedProto bool
	errorHandler        func(http.ResponseWriter, *http.Request, error)
	logger              *slog.Logger
	saveTimeout         time.Duration
	settings            settingsCache
}

// Defaults of the options.
const (
	DefaultTimeout             = 10 * time.Second // bound of each call, see WithTimeout
	DefaultMaxIdleConnsPerHost = 256              // idle keep-alive connections, see WithMaxIdleConnsPerHost
	DefaultSettingsTTL         = time.Minute      // how long settings are cached, see WithSettingsTTL
)

// New returns a client of the app's API at baseURL, the scopestore server's
// root (http://127.0.0.1:8080), authenticating with the app's API key.
func New(baseURL, app, key string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("client: the base URL must be an absolute http:// or https:// URL such as http://127.0.0.1:8080")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("client: the base URL must not have a query or a fragment")
	}
	if app == "" {
		return nil, errors.New("client: the app name is empty")
	}
	if key == "" || strings.ContainsAny(key, " \t\r\n") {
		return nil, errors.New("client: the API key is empty or holds white space")
	}
	o := options{
		timeout:             DefaultTimeout,
		maxIdleConnsPerHost: DefaultMaxIdleConnsPerHost,
		settingsTTL:         DefaultSettingsTTL,
		logger:              slog.Default(),
		errorHandler:        DefaultErrorHandler,
	}
	for _, opt := range opts {
		opt(&o)
	}
	base := strings.TrimRight(u.String(), "/")
	c := &Client{
		baseURL:             base,
		appURL:              base + "/api/v1/apps/" + url.PathEscape(app),
		app:                 app,
		key:                 key,
		authorization:       []string{"Bearer " + key},
		hc:                  o.httpClient,
		cookies:             o.cookies.withDefaults(),
		trustForwardedProto: o.trustForwardedProto,
		errorHandler:        o.errorHandler,
		logger:              o.logger,
		saveTimeout:         o.timeout,
		settings:            settingsCache{ttl: o.settingsTTL},
	}
	if c.hc == nil {
		c.transport = newTransport(o.maxIdleConnsPerHost)
		c.hc = &http.Client{Transport: c.transport, Timeout: o.timeout}
	}
	if c.hc.Jar == nil && c.hc.CheckRedirect == nil {
		c.rt, c.timeout = c.hc.Transport, c.hc.Timeout
		if c.rt == nil {
			c.rt = http.DefaultTransport
		}
	}
	c.sessions = &Scopes{c: c, kind: "sessions"}
	c.clients = &Scopes{c: c, kind: "clients"}
	c.application = &Shared{c: c, path: "/application"}
	c.server = &Shared{c: c, path: "/api/v1/server", root: true}
	return c, nil
}

// Sessions returns the API of the app's session scopes.
func (c *Client) Sessions() *Scopes { return c.sessions }

// Clients returns the API of the app's client scopes.
func (c *Client) Clients() *Scopes { return c.clients }

// App returns the name of the app the client works for.
func (c *Client) App() string { return c.app }

// CloseIdleConnections closes the pooled connections that are not in use;
// the client stays usable.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// newTransport returns a keep-alive transport whose idle pool fits many
// concurrent requests to one scopestore (net/http keeps only 2 per host by
// default, so a busy app would open and close connections all the time).
func newTransport(maxIdlePerHost int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxIdlePerHost
	t.MaxIdleConns = max(t.MaxIdleConns, 2*maxIdlePerHost)
	t.IdleConnTimeout = 90 * time.Second
	// scopestore does not compress its answers: no Accept-Encoding.
	t.DisableCompression = true
	return t
}
