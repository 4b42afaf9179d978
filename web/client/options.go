package client

import (
	"log/slog"
	"net/http"
	"time"
)

// Option changes how New builds a Client.
type Option func(*options)

type options struct {
	httpClient          *http.Client
	timeout             time.Duration
	maxIdleConnsPerHost int
	settingsTTL         time.Duration
	logger              *slog.Logger
	cookies             Cookies
	trustForwardedProto bool
	errorHandler        func(http.ResponseWriter, *http.Request, error)
}

// WithHTTPClient makes the client send its calls with hc instead of its own
// pooled transport (WithTimeout and WithMaxIdleConnsPerHost then do not apply).
// The calls go to hc.Transport (http.DefaultTransport when nil) directly,
// bounded by hc.Timeout, and a redirect is not followed (the API answers
// none); when hc has a Jar or a CheckRedirect, they go through hc.Do.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) { o.httpClient = hc }
}

// WithTimeout bounds each API call, and the save at the end of a request
// (DefaultTimeout, 10 s).
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithMaxIdleConnsPerHost sets how many idle keep-alive connections to
// scopestore the client keeps (DefaultMaxIdleConnsPerHost, 256); set it near
// the number of requests the app serves at once.
func WithMaxIdleConnsPerHost(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxIdleConnsPerHost = n
		}
	}
}

// WithSettingsTTL sets how long the middleware keeps the app's settings
// (whether the client scope is on, its timeout) before reading them again
// (DefaultSettingsTTL, one minute).
func WithSettingsTTL(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.settingsTTL = d
		}
	}
}

// WithLogger sets where the middleware reports what it cannot tell the
// visitor, such as a save that failed after the response was sent
// (slog.Default() otherwise).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithCookies sets the names, path and domain of the middleware's cookies;
// empty fields keep their defaults.
func WithCookies(c Cookies) Option {
	return func(o *options) { o.cookies = c }
}

// WithTrustForwardedProto makes the middleware mark its cookies Secure when
// X-Forwarded-Proto says https; set it only behind a proxy that sets that
// header itself.
func WithTrustForwardedProto(trust bool) Option {
	return func(o *options) { o.trustForwardedProto = trust }
}

// WithErrorHandler sets what answers a request whose scope could not be
// loaded or saved before the response was written (DefaultErrorHandler:
// 503 with Retry-After when the storage is down, 500 otherwise).
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, err error)) Option {
	return func(o *options) {
		if h != nil {
			o.errorHandler = h
		}
	}
}
