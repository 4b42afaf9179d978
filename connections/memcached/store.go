package memcached

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/scopestore/scopestore/scopes"
)

// expiryGrace is how long an item outlives its record's Expires. The Store
// contract judges expiry by the caller's now, and memcached's clock (which
// counts whole seconds) is not the caller's: the grace keeps a record
// readable for a caller whose clock lags a little, while Load never returns
// a record past its Expires.
const expiryGrace = time.Second

// Store keeps scopes in memcached. It is safe for concurrent use.
type Store struct {
	client  *memcache.Client
	servers *memcache.ServerList
	addrs   []string
	prefix  string
	// seen remembers the CAS id of the items last read or written, so that a
	// write based on one needs no read first (see Write).
	seen casCache
}

var (
	_ scopes.Store    = (*Store)(nil)
	_ scopes.Verifier = (*Store)(nil)
)

func newStore(client *memcache.Client, servers *memcache.ServerList, prefix string, addrs []string) *Store {
	return &Store{client: client, servers: servers, prefix: prefix, addrs: addrs, seen: casCache{m: map[string]casEntry{}}}
}

// keyOf checks key and returns its memcached key. App names and cfids never
// hold a space or a colon (scopes.ValidateAppName, scopes.ValidCFID), but
// the layout must not depend on the callers: a key memcached cannot take is
// refused, never sent.
func (s *Store) keyOf(key scopes.Key) (string, error) {
	if err := checkKind(key.Kind); err != nil {
		return "", err
	}
	k := s.prefix + key.App + ":" + string(key.Kind) + ":" + key.CFID
	if key.App == "" || key.CFID == "" || strings.Contains(key.App, ":") || !legalKey(k) {
		return "", scopes.Errorf(scopes.EInvalid, "app %q or cfid %q is empty, holds a colon or a space, or is too long for a memcached key", key.App, key.CFID)
	}
	return k, nil
}

// legalKey is gomemcache's rule: at most 250 bytes, no space or control character.
func legalKey(k string) bool {
	if len(k) > 250 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] == 0x7f {
			return false
		}
	}
	return true
}

func checkKind(k scopes.Kind) error {
	if !k.Stored() {
		return scopes.Errorf(scopes.EInvalid, "unknown scope kind %q: it is session, client, application or server", k)
	}
	return nil
}

// stored returns rec as the store keeps it, with times cut to the
// milliseconds of the envelope.
func stored(rec scopes.Record) scopes.Record {
	rec.TimeCreated = time.UnixMilli(rec.TimeCreated.UnixMilli())
	rec.LastVisit = time.UnixMilli(rec.LastVisit.UnixMilli())
	rec.Expires = time.UnixMilli(rec.Expires.UnixMilli())
	if len(rec.Data) == 0 {
		rec.Data = []byte("{}")
	}
	return rec
}

// keptRevs is how many earlier writes' revs a value carries: a write sent
// again is recognised while fewer writes than this came on top of it, as on
// the SQL datasources.
const keptRevs = 15

// encode returns the value of rec: its envelope, a newline, and the revs
// of the writes before it, newest first. prev is the stored record's rev
// and its own list, "" when there was none.
func encode(rec scopes.Record, prevRev, prevRevs string) []byte {
	env := scopes.EncodeRecord(rec)
	b := make([]byte, 0, len(env)+1+len(prevRev)+1+len(prevRevs))
	b = append(append(b, env...), '\n')
	if prevRev == "" {
		return b
	}
	b = append(b, prevRev...)
	// Keep keptRevs in all: the stored rev and keptRevs-1 of its list.
	rest, n := prevRevs, 1
	for rest != "" && n < keptRevs {
		var rev string
		rev, rest, _ = strings.Cut(rest, " ")
		b = append(append(b, ' '), rev...)
		n++
	}
	return b
}

// split returns a value's envelope and the list of revs after it. A value
// without the list (a bare envelope, whose data may hold newlines) is all
// envelope.
func split(v []byte) (env []byte, revs string) {
	i := bytes.LastIndexByte(v, '\n')
	if i < 0 || bytes.ContainsAny(v[i+1:], `}"`) {
		return v, ""
	}
	return v[:i], string(v[i+1:])
}

// hasRev tells whether rev is in a space-separated list of revs.
func hasRev(revs, rev string) bool {
	for revs != "" {
		var r string
		r, revs, _ = strings.Cut(revs, " ")
		if r == rev {
			return true
		}
	}
	return false
}

// expiration is the memcached expiry of an item whose record expires at
// expires, seen at now: a number of seconds up to 30 days, and beyond that
// the Unix time, as memcached reads any number over 30 days as one. It is
// at least 1, because 0 would mean "never".
func expiration(expires, now time.Time) int32 {
	const month = 30 * 24 * 60 * 60
	at := expires.Add(expiryGrace)
	secs := int64((at.Sub(now) + time.Second - 1) / time.Second) // rounded up
	switch {
	case secs < 1:
		return 1
	case secs <= month:
		return int32(secs)
	}
	unix := at.Unix()
	if at.Nanosecond() > 0 {
		unix++
	}
	return int32(min(unix, 1<<31-1))
}

// Load returns the record under key unless it is missing or expired at now.
// A value that is not in scopestore's format is an *scopes.Error with code
// ECorrupt.
func (s *Store) Load(ctx context.Context, key scopes.Key, now time.Time) (scopes.Record, bool, error) {
	return s.LoadKnown(ctx, key, now, nil)
}

// LoadKnown is Load that neither checks nor copies stored data that is the
// bytes of known (scopes.KnownLoader).
func (s *Store) LoadKnown(ctx context.Context, key scopes.Key, now time.Time, known json.RawMessage) (scopes.Record, bool, error) {
	k, err := s.keyOf(key)
	if err != nil {
		return scopes.Record{}, false, err
	}
	it, err := s.get(ctx, k)
	if err != nil {
		return scopes.Record{}, false, fmt.Errorf("memcached: load %s %s: %w", key.App, key.Kind, err)
	}
	if it == nil {
		s.seen.forget(k)
		return scopes.Record{}, false, nil
	}
	env, revs := split(it.Value)
	rec, err := scopes.DecodeRecordKnown(key, env, known)
	if err != nil {
		return scopes.Record{}, false, err
	}
	s.seen.put(k, casEntry{casID: it.CasID, rev: rec.Rev, revs: revs, expires: rec.Expires})
	// memcached keeps the item for expiryGrace after Expires.
	if rec.Expired(now) {
		return scopes.Record{}, false, nil
	}
	return rec, true, nil
}

// get reads the item under k with its CAS id; a missing item is nil, never
// memcache.ErrCacheMiss. A read on a pooled connection that the server
// closed (it restarted) is tried once more on a new one: a read changes
// nothing, so sending it again is safe.
func (s *Store) get(ctx context.Context, k string) (*memcache.Item, error) {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it, err := s.client.Get(k)
		switch {
		case errors.Is(err, memcache.ErrCacheMiss):
			return nil, nil
		case err == nil:
			return it, nil
		}
		s.failed(err)
		if attempt > 0 || dialFailed(err) {
			return nil, err
		}
	}
}

// Delete removes the record under key, expired or not, and reports whether
// there was one.
func (s *Store) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	k, err := s.keyOf(key)
	if err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.seen.forget(k)
	err = s.client.Delete(k)
	switch {
	case errors.Is(err, memcache.ErrCacheMiss):
		return false, nil
	case err != nil:
		s.failed(err)
		return false, fmt.Errorf("memcached: delete %s %s: %w", key.App, key.Kind, err)
	}
	return true, nil
}

// errNoList is what List and Count answer: memcached keeps no index of its
// keys and offers no way to walk them.
func errNoList(what string) error {
	return scopes.Errorf(scopes.EUnsupported,
		"memcached cannot list its keys, so the scopes kept in a memcached storage cannot be %s; open a scope by its cfid, or keep scopes in Redis or a datasource to list and count them", what)
}

// List answers EUnsupported: memcached cannot list its keys.
func (s *Store) List(_ context.Context, _ string, kind scopes.Kind, _ string, _ int, _ time.Time) ([]scopes.Record, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	return nil, errNoList("listed")
}

// Count answers EUnsupported: memcached cannot count an app's keys.
func (s *Store) Count(_ context.Context, _ string, kind scopes.Kind, _ time.Time) (int64, bool, error) {
	if err := checkKind(kind); err != nil {
		return 0, false, err
	}
	return 0, false, errNoList("counted")
}

// DeleteExpired does nothing: memcached drops expired items by itself and
// cannot tell which, so no end-of-session webhook fires for them.
func (s *Store) DeleteExpired(context.Context, time.Time, int) ([]scopes.Key, error) {
	return nil, nil
}

// Ping checks that every server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.client.Ping(); err != nil {
		s.failed(err)
		return fmt.Errorf("memcached: ping: %w", err)
	}
	return nil
}

// Close closes the idle connections; the store stays usable, as
// gomemcache's client does.
func (s *Store) Close() error {
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("memcached: close: %w", err)
	}
	return nil
}

// failed drops what a failure may have made stale: the idle connections,
// which a server that restarted has closed (each would fail one call), and
// the CAS ids read so far, which a restarted server gives out again.
func (s *Store) failed(err error) {
	if errors.Is(err, memcache.ErrCacheMiss) || errors.Is(err, memcache.ErrCASConflict) ||
		errors.Is(err, memcache.ErrNotStored) || errors.Is(err, memcache.ErrMalformedKey) {
		return
	}
	_ = s.client.Close()
	s.seen.clear()
}

// dialFailed tells whether err means that no connection could be had, so
// that nothing was sent.
func dialFailed(err error) bool {
	var op *net.OpError
	var ct *memcache.ConnectTimeoutError
	return errors.As(err, &op) && op.Op == "dial" || errors.As(err, &ct) || errors.Is(err, memcache.ErrNoServers)
}

// casEntry is what a Store last saw of an item: its CAS id, and the rev,
// the list of earlier revs and the expiry of the record it held.
type casEntry struct {
	casID   uint64
	rev     string
	revs    string
	expires time.Time
	at      time.Time
}

// casCache holds the casEntry of up to casCacheSize items. An entry is
// used for casCacheAge at most, and all are dropped when a server fails:
// CAS ids start again from 1 when memcached restarts.
type casCache struct {
	mu sync.Mutex
	m  map[string]casEntry
}

// Bounds of the casCache: about 400 bytes an entry.
const (
	casCacheSize = 4096
	casCacheAge  = 30 * time.Second
)

func (c *casCache) put(k string, e casEntry) {
	e.at = time.Now()
	c.mu.Lock()
	if len(c.m) >= casCacheSize {
		for old := range c.m { // one at random, as map iteration goes
			delete(c.m, old)
			break
		}
	}
	c.m[k] = e
	c.mu.Unlock()
}

func (c *casCache) get(k string) (casEntry, bool) {
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && time.Since(e.at) > casCacheAge {
		return casEntry{}, false
	}
	return e, ok
}

func (c *casCache) forget(k string) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

func (c *casCache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
