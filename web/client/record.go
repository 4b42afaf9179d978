package client

import "time"

// Record is a scope as the API answers it: its data and its built-ins.
type Record struct {
	CFID      string `json:"cfid"`                // the scope's id, a lowercase UUID
	CFToken   string `json:"cftoken"`             // CFML's second token, always "0" here
	URLToken  string `json:"urltoken"`            // CFID=…&CFTOKEN=…, ready for a URL
	SessionID string `json:"sessionid,omitempty"` // <app>_<cfid>_<cftoken>, sessions only
	// ApplicationName is the app's name, in its application scope only
	// (which, like the server scope, has no cfid, cftoken or urltoken).
	ApplicationName string    `json:"applicationname,omitempty"`
	TimeCreated     time.Time `json:"timecreated"`        // when the scope was created
	LastVisit       time.Time `json:"lastvisit"`          // the last load or save
	HitCount        int64     `json:"hitcount,omitempty"` // the number of visits, client scopes only
	Expires         time.Time `json:"expires"`            // when it ends unless visited again
	// Version counts the scope's saves; it is the ETag, and Put and Patch
	// take it as ifVersion.
	Version int64  `json:"version"`
	Storage string `json:"storage"` // the storage that holds it
	// Fence is the greatest lock fence the scope was written under
	// (Patch.IfFence, Cond.IfFence), 0 when none.
	Fence int64 `json:"fence,omitempty"`
	// Data holds the values as encoding/json decodes them: numbers are
	// float64, objects map[string]any, arrays []any.
	Data map[string]any `json:"data"`
	// RotatedTo is the new cfid when this is the old cfid of a rotated
	// session, answered during the rotation's grace period.
	RotatedTo string `json:"rotatedTo,omitempty"`
	// Token is, for a client scope in cookie storage, the sealed token that
	// holds the whole scope: send it back with WithScopeToken.
	Token string `json:"token,omitempty"`
}

// Patch is a set of changes that the API applies to a scope atomically: a
// key may appear in only one of Set, Unset and Incr.
type Patch struct {
	Set   map[string]any   `json:"set,omitempty"`   // keys to set to a JSON value
	Unset []string         `json:"unset,omitempty"` // keys to remove
	Incr  map[string]int64 `json:"incr,omitempty"`  // keys to add to (absent counts as 0)
	// IfVersion > 0 applies the patch only if the scope is at that version
	// (ErrPreconditionFailed otherwise).
	IfVersion int64 `json:"-"`
	// IfFence > 0 is the fence of the lock the patch is written under
	// (Lock.Fence): refused with ErrPreconditionFailed when the scope was
	// already written under a greater fence, by a later holder of the lock.
	IfFence int64 `json:"-"`
}

// Cond makes a write conditional; its zero value makes it unconditional.
type Cond struct {
	// IfVersion > 0 writes only if the scope is at that version (If-Match).
	IfVersion int64
	// IfFence > 0 is the fence of the lock the write is made under
	// (If-Fence): refused when the scope was written under a greater one.
	IfFence int64
}

// Page is one page of a listing.
type Page struct {
	// Scopes are the page's scopes, in cfid order.
	Scopes []*Record `json:"scopes"`
	// Next is the cursor of the next page, "" on the last page.
	Next string `json:"next"`
}
