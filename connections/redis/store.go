package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scopestore/scopestore/scopes"
)

// expiryGrace is how long a scope key outlives its record's Expires. The
// Store contract judges expiry by the caller's now, and scopestore
// instances' clocks are not Redis's: the grace keeps a record readable for a
// caller whose clock lags a little, while Load, Update and List never return
// a record past its Expires. DeleteExpired deletes what expired meanwhile.
const expiryGrace = time.Second

// defaultMarkerTTL is how long Redis keeps the marker of a write. The
// engine sends a write whose outcome it does not know again for up to
// scopes.DefaultResolveTime: the marker must outlive that, with a margin for
// the clocks of scopestore and Redis.
const defaultMarkerTTL = 2 * scopes.DefaultResolveTime

// Store keeps scopes in Redis. It is safe for concurrent use.
type Store struct {
	// client runs reads, which go-redis retries; writer runs the scripts
	// that write, each sent once (see newClient). They are one client in
	// tests that make a Store with newStore.
	client goredis.UniversalClient
	writer goredis.UniversalClient
	// reads and scripts send what every request sends, Load's GET and the
	// scripts (see send): client and writer themselves, or with
	// autopipelining (autopipeline.go) their go-redis AutoPipeliners.
	reads   goredis.Cmdable
	scripts goredis.Scripter
	prefix  string
	// cluster is set in Cluster mode, where keys of different slots cannot
	// meet in one command.
	cluster bool
	log     *slog.Logger

	// markerTTL is how long a write's marker outlives it (see Write).
	markerTTL time.Duration
	// replicas and replicaTimeout make each write wait for that many
	// replicas to acknowledge it (WAIT), when replicas > 0.
	replicas       int
	replicaTimeout time.Duration
	// instance tells this Store's announcements from other instances'.
	instance string
	// closers end what Watch started, on Close.
	closersMu sync.Mutex
	closers   []func() error
	// registered holds the registry members this Store has added, so that
	// only the first write of an (app, kind) costs a command more.
	registered sync.Map
	// lockWatch tells waiters of lock releases (lock.go).
	lockWatch lockWatch
}

var (
	_ scopes.Store    = (*Store)(nil)
	_ scopes.Verifier = (*Store)(nil)
)

func newStore(client goredis.UniversalClient, prefix string, cluster bool) *Store {
	return &Store{
		client:    client,
		writer:    client,
		reads:     client,
		scripts:   client,
		prefix:    prefix,
		cluster:   cluster,
		markerTTL: defaultMarkerTTL,
		instance:  scopes.NewRev(),
		log:       slog.Default().With("store", "redis"),
	}
}

// buckets are the first characters a cfid (a UUID in lower case) can start
// with, in order. Each (app, kind) has one bucket per character, a hash tag
// of its own: the scopes whose cfid starts with it, and their indexes.
const buckets = "0123456789abcdef"

// kindOf returns the registry member of an app's scopes of one kind.
func kindOf(app string, kind scopes.Kind) string { return app + ":" + string(kind) }

// bucketOf returns the hash tag's content shared by a scope's keys:
// bucketTag(kindOf(app, kind), bucketChar(cfid)), in one concatenation.
func bucketOf(app string, kind scopes.Kind, cfid string) string {
	return app + ":" + string(kind) + ":" + string(bucketChar(cfid))
}

// memberOf returns the registry member of a scope's bucket tag, kindOf(app,
// kind), as a slice of the tag: a write needs it and makes no string.
func memberOf(tag string) string { return tag[:len(tag)-len(":0")] }

// bucketTag returns the hash tag's content of the bucket c of a registry
// member ("<app>:<kind>").
func bucketTag(member string, c byte) string { return member + ":" + string(c) }

// bucketChar returns the bucket of a cfid: its first hex digit, in lower
// case ('0' for an empty cfid). A cfid that opens with another character
// (the server scope's "server") goes to the last bucket that sorts before
// it, so that DeleteExpired, Count and List, which walk the 16 buckets
// only, meet it, and List still yields cfid order.
func bucketChar(cfid string) byte {
	if cfid == "" {
		return '0'
	}
	c := cfid[0]
	if 'A' <= c && c <= 'F' {
		c += 'a' - 'A'
	}
	for i := len(buckets) - 1; i > 0; i-- {
		if buckets[i] <= c {
			return buckets[i]
		}
	}
	return buckets[0]
}

// scopeKey is the key of one scope instance in bucket tag.
func (s *Store) scopeKey(tag, cfid string) string { return s.prefix + "{" + tag + "}s:" + cfid }

// lexKey is the key of the bucket's cfids in cfid order (all scores 0).
func (s *Store) lexKey(tag string) string { return s.prefix + "{" + tag + "}idx" }

// expKey is the key of the bucket's cfids scored by their expiry.
func (s *Store) expKey(tag string) string { return s.prefix + "{" + tag + "}exp" }

// markerKey is the key of the marker of the write rev in bucket tag.
func (s *Store) markerKey(tag, rev string) string { return s.prefix + "{" + tag + "}w:" + rev }

// scriptKeys are the keys of a script that writes the scope k of bucket
// tag: k, lexKey, expKey and markerKey of rev. The last three are cut from
// one string: every write builds them, and one allocation is cheaper than
// three.
func (s *Store) scriptKeys(k, tag, rev string) []string {
	all := s.prefix + "{" + tag + "}idx" + s.prefix + "{" + tag + "}exp" + s.prefix + "{" + tag + "}w:" + rev
	n := len(s.prefix) + len(tag) + len("{}idx")
	return []string{k, all[:n], all[n : 2*n], all[2*n:]}
}

// registryKey is the key of the set of the (app, kind) pairs that have
// scopes, which DeleteExpired walks.
func (s *Store) registryKey() string { return s.prefix + "indexes" }

// keyOf checks key and returns its Redis key and bucket. A brace in the app
// or cfid would move the hash tag, and a colon in the app would let two keys
// share a name; app names and cfids never hold them (scopes.ValidateAppName,
// scopes.ValidCFID), but the layout must not depend on the callers.
func (s *Store) keyOf(key scopes.Key) (string, string, error) {
	if err := checkKind(key.Kind); err != nil {
		return "", "", err
	}
	if strings.ContainsAny(key.App, "{}:") || strings.ContainsAny(key.CFID, "{}") || key.CFID == "" {
		return "", "", scopes.Errorf(scopes.EInvalid, "app %q or cfid %q is empty or holds a brace or colon, which scopestore's Redis keys cannot hold", key.App, key.CFID)
	}
	tag := bucketOf(key.App, key.Kind, key.CFID)
	return s.scopeKey(tag, key.CFID), tag, nil
}

func checkKind(k scopes.Kind) error {
	if !k.Stored() {
		return scopes.Errorf(scopes.EInvalid, "unknown scope kind %q: it is session, client, application or server", k)
	}
	return nil
}

// stored returns rec as the store keeps it, with times cut to the
// milliseconds of the envelope, and the value to write.
func stored(rec scopes.Record) (scopes.Record, []byte) {
	rec.TimeCreated = time.UnixMilli(rec.TimeCreated.UnixMilli())
	rec.LastVisit = time.UnixMilli(rec.LastVisit.UnixMilli())
	rec.Expires = time.UnixMilli(rec.Expires.UnixMilli())
	value := scopes.EncodeRecord(rec)
	if len(rec.Data) == 0 {
		rec.Data = []byte("{}")
	}
	return rec, value
}

// expireAt is the PXAT of a record's key: its Expires plus expiryGrace, at
// least 1 because Redis refuses 0 and below (a zero Expires then expires the
// key at once, as any time in the past does).
func expireAt(rec scopes.Record) int64 {
	return max(rec.Expires.UnixMilli()+expiryGrace.Milliseconds(), 1)
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: ping: %w", err)
	}
	return nil
}

// Close closes the client's connections.
func (s *Store) Close() error {
	s.closersMu.Lock()
	for _, c := range s.closers {
		_ = c()
	}
	s.closersMu.Unlock()
	if s.writer != s.client {
		_ = s.writer.Close()
	}
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}
