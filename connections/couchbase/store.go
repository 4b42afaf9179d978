package couchbase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/couchbase/gocb/v2"

	"github.com/scopestore/scopestore/scopes"
)

// keyPrefix opens the key of every scope document, so that scopestore's
// documents are told from others in a shared collection.
const keyPrefix = "scopestore:"

// docType is the type member of every scope document, which the partial
// indexes of listing select on.
const docType = "scopestore"

// keptRevs is how many revs of the writes before the last one a document
// keeps, so that a write sent again is recognised while at most that many
// writes came on top of it (the engine sends one again within seconds).
const keptRevs = 15

// expiryGrace is how long a document outlives its scope's Expires. Load,
// List and Count hide a scope past its Expires at the caller's now, so the
// grace changes nothing a caller sees; it gives DeleteExpired, which runs
// hourly by default, a day to find the scope, delete it and report it for
// the end-of-session webhook. Couchbase removes what no cleaner found.
const expiryGrace = 24 * time.Hour

// Store keeps scopes in a Couchbase collection, one document per scope
// instance. It is safe for concurrent use.
type Store struct {
	cfg        config
	cluster    *gocb.Cluster
	bucket     *gocb.Bucket
	coll       *gocb.Collection
	docs       documents // coll's documents one at a time
	keyspace   string    // `bucket`.`scope`.`collection`, for SQL++
	transcoder gocb.Transcoder
	log        *slog.Logger

	// indexes is set once the indexes of listing exist, and indexTried is
	// when this Store last tried to create them (see ensureIndexes).
	indexesMu  sync.Mutex
	indexes    bool
	indexTried time.Time
}

var (
	_ scopes.Store    = (*Store)(nil)
	_ scopes.Verifier = (*Store)(nil)
)

func newStore(cfg config, cluster *gocb.Cluster) *Store {
	// Bucket opens the bucket in the background, once: the store keeps it.
	bucket := cluster.Bucket(cfg.bucket)
	coll := bucket.Scope(cfg.scope).Collection(cfg.collection)
	transcoder := gocb.NewRawJSONTranscoder()
	return &Store{
		cfg:        cfg,
		cluster:    cluster,
		bucket:     bucket,
		coll:       coll,
		docs:       gocbDocuments{coll: coll, transcoder: transcoder},
		keyspace:   "`" + cfg.bucket + "`.`" + cfg.scope + "`.`" + cfg.collection + "`",
		transcoder: transcoder,
		log:        slog.Default().With("store", "couchbase", "connection", cfg.name),
	}
}

// docKey is the key of a scope's document: scopestore:<app>:<kind>:<cfid>.
// App names and cfids hold no colon (scopes.ValidateAppName,
// scopes.ValidCFID), but the layout must not depend on its callers: a key
// that two scopes could share, or that Couchbase refuses (over 250 bytes),
// is refused here.
func docKey(key scopes.Key) (string, error) {
	if err := checkKind(key.Kind); err != nil {
		return "", err
	}
	if key.App == "" || key.CFID == "" || strings.Contains(key.App, ":") {
		return "", scopes.Errorf(scopes.EInvalid, "app %q or cfid %q is empty, or the app holds a colon, which scopestore's Couchbase keys cannot hold", key.App, key.CFID)
	}
	k := keyPrefix + key.App + ":" + string(key.Kind) + ":" + key.CFID
	if len(k) > maxKeyLen {
		return "", scopes.Errorf(scopes.EInvalid, "the Couchbase key of app %q and cfid %q would be %d bytes, over Couchbase's %d", key.App, key.CFID, len(k), maxKeyLen)
	}
	return k, nil
}

// maxKeyLen is the longest document key Couchbase takes.
const maxKeyLen = 250

func checkKind(k scopes.Kind) error {
	if !k.Stored() {
		return scopes.Errorf(scopes.EInvalid, "unknown scope kind %q: it is session, client, application or server", k)
	}
	return nil
}

// document is a scope's document as it is stored:
//
//	{"type":"scopestore","app":"shop","kind":"session","cfid":"…",
//	 "expires":1767225600000,"revs":["…",…],"scope":{"v":1,"rev":"…",…,"data":{…}}}
//
// app, kind, cfid and expires (Unix milliseconds) are what the indexes of
// listing hold; revs are the revs of the writes before the last one, newest
// first; scope is the record in scopestore's envelope (scopes.EncodeRecord),
// whose rev is the last write's.
type document struct {
	Type    string          `json:"type"`
	App     string          `json:"app"`
	Kind    string          `json:"kind"`
	CFID    string          `json:"cfid"`
	Expires int64           `json:"expires"`
	Revs    []string        `json:"revs"`
	Scope   json.RawMessage `json:"scope"`
}

// encodeDocument returns the document of rec, whose writes before it had
// the revs prev (newest first; only the first keptRevs are kept).
func encodeDocument(rec scopes.Record, prev []string) []byte {
	env := scopes.EncodeRecord(rec)
	b := make([]byte, 0, len(env)+160+len(prev)*20)
	b = append(b, `{"type":"`+docType+`","app":`...)
	b = appendString(b, rec.App)
	b = append(b, `,"kind":`...)
	b = appendString(b, string(rec.Kind))
	b = append(b, `,"cfid":`...)
	b = appendString(b, rec.CFID)
	b = append(b, `,"expires":`...)
	b = strconv.AppendInt(b, rec.Expires.UnixMilli(), 10)
	b = append(b, `,"revs":[`...)
	for i, r := range prev[:min(len(prev), keptRevs)] {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, r)
	}
	b = append(b, `],"scope":`...)
	b = append(b, env...)
	return append(b, '}')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// decodeDocument reads the document stored under key. A document that is
// not one of scopestore's, or that belongs to another key, is an
// *scopes.Error with code ECorrupt, so that one bad document never breaks
// the others.
func decodeDocument(key scopes.Key, b []byte) (scopes.Record, []string, error) {
	var d document
	if err := json.Unmarshal(b, &d); err != nil || d.Type != docType || len(d.Scope) == 0 {
		return scopes.Record{}, nil, corrupt(key, err)
	}
	if d.App != key.App || d.Kind != string(key.Kind) || d.CFID != key.CFID {
		return scopes.Record{}, nil, corrupt(key, fmt.Errorf("the document names %s %s %s", d.App, d.Kind, d.CFID))
	}
	rec, err := scopes.DecodeRecord(key, d.Scope)
	if err != nil {
		return scopes.Record{}, nil, err
	}
	return rec, d.Revs, nil
}

// corrupt is the ECorrupt error of a document under key that is not a
// scope's as scopestore writes it.
func corrupt(key scopes.Key, err error) error {
	return &scopes.Error{Code: scopes.ECorrupt, Err: err,
		Message: "the stored " + string(key.Kind) + " scope " + key.CFID + " of app " + key.App +
			" is not in scopestore's format (written by another program?); delete it to start afresh"}
}

// holds tells whether a document whose last write had rev cur and whose
// earlier writes had prev was written by the write rev.
func holds(cur string, prev []string, rev string) bool {
	return cur == rev || containsString(prev, rev)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// docExpiry is the expiry to give the document of a scope that expires at
// expires, written at wall (this host's clock): the time to its Expires plus
// expiryGrace, in whole seconds rounded up, plus a second, at least a
// second.
//
// gocb takes an expiry as a duration and sends Couchbase, as memcached
// does, a number of seconds from now when it is under 30 days, and the
// absolute Unix time of now plus the duration (by this host's clock, the
// fraction of its second dropped) when it is 30 days or more; it truncates
// to whole seconds, and 0 means never. Rounding up and the second more keep
// a document from expiring before its scope plus the grace either way, and
// the floor of a second keeps an expired scope's document from never
// expiring.
func docExpiry(expires, wall time.Time) time.Duration {
	d := expires.Sub(wall) + expiryGrace
	if d <= 0 {
		return time.Second
	}
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d + time.Second
}

// stored returns rec as the store keeps it: times cut to the milliseconds
// of the envelope, Data an object of its own (the caller may reuse its
// bytes).
func stored(rec scopes.Record) scopes.Record {
	rec.TimeCreated = time.UnixMilli(rec.TimeCreated.UnixMilli())
	rec.LastVisit = time.UnixMilli(rec.LastVisit.UnixMilli())
	rec.Expires = time.UnixMilli(rec.Expires.UnixMilli())
	if len(rec.Data) == 0 {
		rec.Data = []byte("{}")
	} else {
		rec.Data = append(json.RawMessage(nil), rec.Data...)
	}
	return rec
}

// get reads the document under k; found is false when there is none (or
// Couchbase expired it), never gocb.ErrDocumentNotFound.
func (s *Store) get(ctx context.Context, k string) (raw, bool, error) { return s.docs.get(ctx, k) }

// Load returns the record under key unless it is missing or expired at now.
// A document that is not in scopestore's format is an *scopes.Error with
// code ECorrupt.
func (s *Store) Load(ctx context.Context, key scopes.Key, now time.Time) (scopes.Record, bool, error) {
	k, err := docKey(key)
	if err != nil {
		return scopes.Record{}, false, err
	}
	r, found, err := s.get(ctx, k)
	if err != nil {
		return scopes.Record{}, false, s.readError("load", err)
	}
	if !found {
		return scopes.Record{}, false, nil
	}
	rec, _, err := decodeDocument(key, r.value)
	if err != nil {
		return scopes.Record{}, false, err
	}
	// The document outlives the scope by expiryGrace.
	if rec.Expired(now) {
		return scopes.Record{}, false, nil
	}
	return rec, true, nil
}

// Delete removes the document under key, expired or not, and reports
// whether there was one.
func (s *Store) Delete(ctx context.Context, key scopes.Key) (bool, error) {
	k, err := docKey(key)
	if err != nil {
		return false, err
	}
	err = s.docs.remove(ctx, k)
	switch {
	case errors.Is(err, gocb.ErrDocumentNotFound):
		return false, nil
	case err != nil:
		return false, s.writeError("delete", err)
	}
	return true, nil
}

// Ping checks that the bucket's data service answers.
func (s *Store) Ping(ctx context.Context) error {
	res, err := s.bucket.Ping(&gocb.PingOptions{Context: ctx, ServiceTypes: []gocb.ServiceType{gocb.ServiceTypeKeyValue}})
	if err != nil {
		return s.readError("ping", err)
	}
	return s.readError("ping", pingError(res))
}

// pingError returns nil when a data node answered the ping, and otherwise
// a *nodeError that says what the nodes said.
func pingError(res *gocb.PingResult) error {
	var said []string
	for _, ep := range res.Services[gocb.ServiceTypeKeyValue] {
		if ep.State == gocb.PingStateOk {
			return nil
		}
		said = append(said, orDefault(ep.Remote, "a node")+": "+orDefault(ep.Error, "no answer"))
	}
	return &nodeError{said: said}
}

// nodeError is a ping that no data node of the bucket answered.
type nodeError struct{ said []string }

// Error says which nodes were asked and what each said.
func (e *nodeError) Error() string {
	if len(e.said) == 0 {
		return "no data node of the bucket is known yet (is the cluster up and its address right?)"
	}
	return "no data node of the bucket answered the ping (" + strings.Join(e.said, "; ") + ")"
}

// Close closes the client's connections.
func (s *Store) Close() error {
	if err := s.cluster.Close(nil); err != nil {
		return fmt.Errorf("couchbase: close: %w", err)
	}
	return nil
}
