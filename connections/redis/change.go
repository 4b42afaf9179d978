package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// The results of changeScript.
const (
	changeMissing      = 0
	changeApplied      = 1
	changeForeign      = 2
	changeOtherVersion = 3
)

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
	s.register(ctx, key.App, key.Kind)
	hit := "0"
	if c.Hit {
		hit = "1"
	}
	lastVisit, expires := c.LastVisit.UnixMilli(), c.Expires.UnixMilli()
	keys := []string{k, s.lexKey(tag), s.expKey(tag), s.markerKey(tag, c.Rev)}
	args := []any{c.Rev, string(c.Data), strconv.FormatInt(c.IfVersion, 10), hit, lastVisit, expires,
		max(expires+expiryGrace.Milliseconds(), 1), now.UnixMilli(), s.markerTTL.Milliseconds(), key.CFID}
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
	return rec, true, res == changeApplied, nil
}
