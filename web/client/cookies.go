package client

import (
	"net/http"
	"strings"
	"time"
)

// Cookies names the middleware's cookies and where they apply; the zero
// value of a field keeps its default.
type Cookies struct {
	// CFID holds the session's cfid ("CFID", as CFML engines name it).
	CFID string
	// CFToken holds the session's cftoken ("CFTOKEN").
	CFToken string
	// Client holds the client scope's cfid ("CFCLIENT"). It is a cookie of
	// its own because the client scope outlives sessions and does not move
	// when a session rotates.
	Client string
	// ClientToken holds the client scope's sealed token ("CFCLIENTTOKEN")
	// when the app keeps its client scope in cookie storage.
	ClientToken string
	// Path is the cookies' path ("/").
	Path string
	// Domain is the cookies' domain ("": the host that answered only).
	Domain string
}

func (c Cookies) withDefaults() Cookies {
	if c.CFID == "" {
		c.CFID = "CFID"
	}
	if c.CFToken == "" {
		c.CFToken = "CFTOKEN"
	}
	if c.Client == "" {
		c.Client = "CFCLIENT"
	}
	if c.ClientToken == "" {
		c.ClientToken = "CFCLIENTTOKEN"
	}
	if c.Path == "" {
		c.Path = "/"
	}
	return c
}

// cookieAction is what the response must tell the browser about a scope.
type cookieAction int

const (
	cookieKeep  cookieAction = iota // nothing to send
	cookieSet                       // send the scope's cfid
	cookieClear                     // delete the cookies
)

// secure says whether the request came over TLS, directly or, when the
// client trusts it, as X-Forwarded-Proto reports.
func (rs *requestState) secure() bool {
	if rs.r.TLS != nil {
		return true
	}
	if !rs.c.trustForwardedProto {
		return false
	}
	proto, _, _ := strings.Cut(rs.r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// cookie returns one of the middleware's cookies; maxAge < 0 deletes it,
// 0 makes it last as long as the browser session.
func (rs *requestState) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	ck := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     rs.c.cookies.Path,
		Domain:   rs.c.cookies.Domain,
		HttpOnly: true,
		Secure:   rs.secure(),
		SameSite: http.SameSiteLaxMode,
	}
	switch {
	case maxAge < 0:
		ck.MaxAge = -1
	case maxAge > 0:
		ck.MaxAge = int(maxAge / time.Second)
		ck.Expires = time.Now().Add(maxAge).UTC()
	}
	return ck
}

// writeCookies adds the Set-Cookie headers the scope's state calls for,
// and records what the browser will hold. The caller holds s.mu.
func (s *Scope) writeCookies(h http.Header) {
	rs := s.rs
	switch s.cookieAction {
	case cookieKeep:
		return
	case cookieSet:
		if s.rec == nil {
			return // never created (its save failed): keep the browser's cookie
		}
		if s.session {
			token := s.cftoken
			if token == "" {
				token = "0"
			}
			h.Add("Set-Cookie", rs.cookie(s.cookieName, s.cfid, 0).String())
			h.Add("Set-Cookie", rs.cookie(rs.c.cookies.CFToken, token, 0).String())
		} else {
			h.Add("Set-Cookie", rs.cookie(s.cookieName, s.cfid, s.maxAge).String())
			if s.token != "" {
				// Cookie storage: the scope itself, sealed.
				h.Add("Set-Cookie", rs.cookie(rs.c.cookies.ClientToken, s.token, s.maxAge).String())
			}
		}
		s.browser = s.cfid
	case cookieClear:
		h.Add("Set-Cookie", rs.cookie(s.cookieName, "", -1).String())
		if s.session {
			h.Add("Set-Cookie", rs.cookie(rs.c.cookies.CFToken, "", -1).String())
		} else if s.tokenSent {
			h.Add("Set-Cookie", rs.cookie(rs.c.cookies.ClientToken, "", -1).String())
		}
		s.browser = ""
	}
	s.cookieAction = cookieKeep
}
