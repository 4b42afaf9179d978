package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// The results of changeScript.
const (
	changeMissing      = 0
	changeApplied      = 1
	changeForeign      = 2
	changeOtherVersion = 3
	changeTooLarge     = 4
)

// patchOps turns a patch into changeScript's ops, and ok is false when the
// script could not apply it as scopes.Patch.Apply does: a name that JSON
// writes with an escape (the script compares names as they are written), or
// an incr that is not a whole number of at most 15 digits (the script adds
// exactly only those).
func patchOps(p scopes.Patch) ([]any, bool) {
	var ops []any
	for name, v := range p.Set {
		key, ok := patchName(name)
		if !ok {
			return nil, false
		}
		var value bytes.Buffer
		if err := json.Compact(&value, v); err != nil {
			return nil, false
		}
		ops = append(ops, "s", key, value.String())
	}
	for _, name := range p.Unset {
		key, ok := patchName(name)
		if !ok {
			return nil, false
		}
		ops = append(ops, "u", key)
	}
	for name, n := range p.Incr {
		key, ok := patchName(name)
		if !ok || !wholeNumber(string(n)) {
			return nil, false
		}
		ops = append(ops, "i", key, string(n))
	}
	return ops, true
}

// patchName is a member name as compact JSON writes it, when it needs no escape.
func patchName(name string) (string, bool) {
	b, err := json.Marshal(name)
	if err != nil || bytes.IndexByte(b, '\\') >= 0 {
		return "", false
	}
	return string(b), true
}

// wholeNumber tells whether s is an integer of 1 to 15 digits, with an
// optional minus sign: such sums are exact in Lua's doubles.
func wholeNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if len(s) == 0 || len(s) > 15 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Change applies c to the live scope under key in one round trip, with
// changeScript (see scopes.Changer): a visit, a touch or a save needs no
// read first. A value that changeScript cannot read in place (written
// before records had a rev, or with a cftoken that needs escapes) is
// scopes.ErrUnchangeable, which the engine reads and writes instead.
func (s *Store) Change(ctx context.Context, key scopes.Key, c scopes.Change, now time.Time) (scopes.Record, bool, bool, error) {
	k, tag, err := s.keyOf(key)
	if err != nil {
		return scopes.Record{}, false, false, err
	}
	if c.Rev == "" {
		return scopes.Record{}, false, false, scopes.Errorf(scopes.EInvalid, "a change needs a rev (scopes.NewRev)")
	}
	s.register(ctx, key.App, key.Kind, tag)
	hit := "0"
	if c.Hit {
		hit = "1"
	}
	lastVisit, expires := c.LastVisit.UnixMilli(), c.Expires.UnixMilli()
	keys := s.scriptKeys(k, tag, c.Rev)
	args := []any{c.Rev, string(c.Data), strconv.FormatInt(c.IfVersion, 10), hit, lastVisit, expires,
		max(expires+expiryGrace.Milliseconds(), 1), now.UnixMilli(), s.markerTTL.Milliseconds(), key.CFID, c.MaxSize}
	if c.Patch != nil {
		ops, ok := patchOps(*c.Patch)
		if !ok {
			return scopes.Record{}, false, false, fmt.Errorf("redis: change %s %s: %w", key.App, key.Kind, scopes.ErrUnchangeable)
		}
		args = append(args, ops...)
	}
	reply, err := s.runScript(ctx, changeScript, k, keys, args)
	if err != nil {
		return scopes.Record{}, false, false, fmt.Errorf("redis: change %s %s: %w", key.App, key.Kind, err)
	}
	res, _ := reply[0].(int64)
	switch res {
	case changeMissing:
		return scopes.Record{}, false, false, nil
	case changeForeign:
		return scopes.Record{}, false, false, fmt.Errorf("redis: change %s %s: %w", key.App, key.Kind, scopes.ErrUnchangeable)
	case changeTooLarge:
		size, _ := reply[1].(string)
		return scopes.Record{}, false, false, scopes.Errorf(scopes.ETooLarge, "the scope's data would be %s bytes, over the limit of %d bytes", size, c.MaxSize)
	}
	value, _ := reply[1].(string)
	if value == "" {
		// A change sent again, applied before, of a scope deleted since.
		return scopes.Record{}, false, false, nil
	}
	rec, err := scopes.DecodeRecord(key, []byte(value))
	if err != nil {
		return scopes.Record{}, false, false, err
	}
	if res == changeApplied && c.Data != nil && rec.Rev == c.Rev {
		// The script answers a save without the data it was sent.
		rec.Data = c.Data
	}
	return rec, true, res == changeApplied, nil
}
