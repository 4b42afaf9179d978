package client

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Settings are an app's effective settings as GET /settings answers them.
type Settings struct {
	App string `json:"app"`
	// Values holds every setting by name (sessionStorage, clientManagement,
	// sessionTimeout, …): booleans as bool, the rest as strings.
	Values map[string]any `json:"settings"`
	// Sources says where each setting comes from: default, server, app or admin.
	Sources map[string]string `json:"sources"`
	// Storages lists the storages each kind ("session", "client") may use.
	Storages map[string][]string `json:"storages"`
}

// SessionManagement reports whether the app has sessions.
func (s *Settings) SessionManagement() bool { return s.Values["sessionManagement"] == true }

// ClientManagement reports whether the app has client scopes.
func (s *Settings) ClientManagement() bool { return s.Values["clientManagement"] == true }

// SessionTimeout returns the idle time after which a session ends (0 if unknown).
func (s *Settings) SessionTimeout() time.Duration { return s.timeout("sessionTimeout") }

// ClientTimeout returns the idle time after which a client scope ends (0 if unknown).
func (s *Settings) ClientTimeout() time.Duration { return s.timeout("clientTimeout") }

func (s *Settings) timeout(name string) time.Duration {
	v, _ := s.Values[name].(string)
	d, _ := parseTimeout(v)
	return d
}

// parseTimeout reads a timeout as the API writes it: a number of seconds,
// or a duration with days such as 90d, 1d12h, 30m.
func parseTimeout(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second, true
	}
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}
	var d time.Duration
	for len(s) > 0 {
		i := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, false
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		unit, ok := units[s[i]]
		if err != nil || !ok {
			return 0, false
		}
		d += time.Duration(n) * unit
		s = s[i+1:]
	}
	return d, true
}

// Settings returns the app's effective settings.
func (c *Client) Settings(ctx context.Context) (*Settings, error) {
	b, err := c.do(ctx, call{method: http.MethodGet, path: "/settings", idempotent: true, want: []int{http.StatusOK}})
	return settingsAnswer(b, err)
}

// PutSettings declares the app's own settings, as Application.cfc does
// (values are booleans, strings, seconds or lists of strings), and returns
// the effective settings.
func (c *Client) PutSettings(ctx context.Context, values map[string]any) (*Settings, error) {
	b, err := c.do(ctx, call{method: http.MethodPut, path: "/settings", body: values, want: []int{http.StatusOK}})
	s, err := settingsAnswer(b, err)
	if err == nil {
		c.settings.forget()
	}
	return s, err
}

func settingsAnswer(b []byte, err error) (*Settings, error) {
	if err != nil {
		return nil, err
	}
	var s Settings
	if err := decodeAnswer(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// settingsCache keeps the settings the middleware needs for a while, so
// that a request does not pay a call for them.
type settingsCache struct {
	ttl time.Duration
	mu  sync.Mutex
	s   *Settings
	at  time.Time
}

func (sc *settingsCache) forget() {
	sc.mu.Lock()
	sc.s = nil
	sc.mu.Unlock()
}

// cachedSettings returns the settings, read again when older than the TTL;
// concurrent requests wait for one read.
func (c *Client) cachedSettings(ctx context.Context) (*Settings, error) {
	sc := &c.settings
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.s != nil && time.Since(sc.at) < sc.ttl {
		return sc.s, nil
	}
	s, err := c.Settings(ctx)
	if err != nil {
		return nil, err
	}
	sc.s, sc.at = s, time.Now()
	return s, nil
}
