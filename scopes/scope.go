package scopes

import (
	"encoding/json"
	"net/url"
	"time"
)

// Key names one scope instance: an app's session or client scope for a cfid.
type Key struct {
	App  string
	Kind Kind
	CFID string
}

// Record is a scope instance as a storage holds it.
type Record struct {
	Key
	CFToken     string
	TimeCreated time.Time
	LastVisit   time.Time
	// HitCount counts the visits of a client scope; it stays 0 for sessions.
	HitCount int64
	Expires  time.Time
	// Version starts at 1 and is bumped by every save; a mere visit keeps it.
	Version int64
	// Rev identifies this write of the record: NewRev for every write, a
	// visit included, so that a store's compare-and-set never mistakes one
	// write for another (a version comes back after a delete and a create).
	// It is the write's id too, by which a store recognises a write sent
	// again (see Store.Write).
	Rev string
	// Data is the scope's JSON object, compact, never nil once loaded.
	Data json.RawMessage
	// RotatedTo is, on the old cfid of a rotated session during its grace,
	// the cfid that the session moved to; the old record is read-only.
	RotatedTo string
	// Fence is the greatest lock fence that a write of the scope carried
	// (0: none did): a write that carries a smaller one is refused, since
	// its writer's lock ran out and another took it (see Cond.Fence).
	Fence int64
}

// Expired reports whether the record's idle timeout has passed at now.
func (r *Record) Expired(now time.Time) bool { return !now.Before(r.Expires) }

// Scope is a scope instance as the API shows it, with its built-ins.
type Scope struct {
	// CFID, CFToken and URLToken name a visitor's scope; the shared
	// scopes (application, server) have none.
	CFID     string `json:"cfid,omitempty"`
	CFToken  string `json:"cftoken,omitempty"`
	URLToken string `json:"urltoken,omitempty"`
	// ApplicationName is the app's name, on its application scope.
	ApplicationName string    `json:"applicationname,omitempty"`
	SessionID       string    `json:"sessionid,omitempty"`
	TimeCreated     time.Time `json:"timecreated"`
	LastVisit       time.Time `json:"lastvisit"`
	HitCount        *int64    `json:"hitcount,omitempty"`
	Expires         time.Time `json:"expires"`
	Version         int64     `json:"version"`
	Storage         string    `json:"storage"`
	// RotatedTo names the session's new cfid when this one was rotated.
	RotatedTo string `json:"rotatedTo,omitempty"`
	// Fence is the greatest lock fence a write of the scope carried.
	Fence int64 `json:"fence,omitempty"`
	// Token is, for a client scope in cookie storage, the sealed token
	// that holds the whole scope: the app keeps it in a cookie. It is
	// URL-safe Base64, written into JSON as it is.
	Token string          `json:"token,omitempty"`
	Data  json.RawMessage `json:"data"`
}

// NewScope builds the API view of a record kept in the named storage.
func NewScope(r *Record, storage string) *Scope {
	s := &Scope{
		CFID:        r.CFID,
		CFToken:     r.CFToken,
		URLToken:    URLToken(r.CFID, r.CFToken),
		TimeCreated: r.TimeCreated.UTC(),
		LastVisit:   r.LastVisit.UTC(),
		Expires:     r.Expires.UTC(),
		Version:     r.Version,
		Storage:     storage,
		RotatedTo:   r.RotatedTo,
		Fence:       r.Fence,
		Data:        r.Data,
	}
	switch r.Kind {
	case Application, Server:
		// A shared scope belongs to no visitor: it has no cfid to show.
		s.CFID, s.CFToken, s.URLToken = "", "", ""
		if r.Kind == Application {
			s.ApplicationName = r.App
		}
	case Session:
		s.SessionID = r.App + "_" + r.CFID + "_" + r.CFToken
	default:
		hits := r.HitCount
		s.HitCount = &hits
	}
	return s
}

// URLToken returns the CFML urltoken built-in, "CFID=…&CFTOKEN=…".
func URLToken(cfid, cftoken string) string {
	return "CFID=" + queryEscape(cfid) + "&CFTOKEN=" + queryEscape(cftoken)
}

// queryEscape is url.QueryEscape, which a cfid, a UUID, never needs: its
// digits and dashes are passed by one table lookup each, rather than by
// QueryEscape's own scan, twice an answer.
func queryEscape(s string) string {
	for i := 0; i < len(s); i++ {
		if !unreserved[s[i]] {
			return url.QueryEscape(s)
		}
	}
	return s
}

// unreserved marks the bytes that url.QueryEscape leaves as they are.
var unreserved = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~" {
		t[c] = true
	}
	return t
}()
