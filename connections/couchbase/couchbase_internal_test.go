package couchbase

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/couchbase/gocb/v2"

	"github.com/scopestore/scopestore/scopes"
)

func connection(params map[string]string) scopes.Connection {
	return scopes.Connection{Name: "cb", Type: "couchbase", Kind: "cache", Storage: true, Params: params, Secret: "s3cret"}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   config
	}{
		{"defaults", map[string]string{"url": "couchbase://127.0.0.1", "bucket": "sessions"},
			config{connStr: "couchbase://127.0.0.1", bucket: "sessions", scope: "_default", collection: "_default", kvTimeout: defaultKVTimeout}},
		{"every param", map[string]string{"url": "couchbases://cb1.example.com:11207,cb2.example.com:11207", "bucket": "app-data", "scope": "web", "collection": "scopes", "username": "scopestore", "timeout": "5s"},
			config{connStr: "couchbases://cb1.example.com:11207,cb2.example.com:11207", bucket: "app-data", scope: "web", collection: "scopes", username: "scopestore", kvTimeout: 5 * time.Second}},
		{"user name in the url", map[string]string{"url": "couchbase://scopestore@127.0.0.1", "bucket": "sessions"},
			config{connStr: "couchbase://127.0.0.1", bucket: "sessions", scope: "_default", collection: "_default", username: "scopestore", kvTimeout: defaultKVTimeout}},
		{"the same user in both", map[string]string{"url": "couchbase://scopestore@127.0.0.1", "bucket": "sessions", "username": "scopestore"},
			config{connStr: "couchbase://127.0.0.1", bucket: "sessions", scope: "_default", collection: "_default", username: "scopestore", kvTimeout: defaultKVTimeout}},
		{"bucket in the url", map[string]string{"url": "couchbase://127.0.0.1/sessions"},
			config{connStr: "couchbase://127.0.0.1", bucket: "sessions", scope: "_default", collection: "_default", kvTimeout: defaultKVTimeout}},
		{"IPv6 and ports", map[string]string{"url": "couchbase://[::1]:11210,[fe80::1]", "bucket": "b"},
			config{connStr: "couchbase://[::1]:11210,[fe80::1]", bucket: "b", scope: "_default", collection: "_default", kvTimeout: defaultKVTimeout}},
		{"gocb options kept", map[string]string{"url": "couchbase://10.0.0.1?network=external", "bucket": "b"},
			config{connStr: "couchbase://10.0.0.1?network=external", bucket: "b", scope: "_default", collection: "_default", kvTimeout: defaultKVTimeout}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConfig(connection(tc.params))
			if err != nil {
				t.Fatal(err)
			}
			tc.want.name, tc.want.password = "cb", "s3cret"
			if got != tc.want {
				t.Errorf("config\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestParseConfigErrors: each mistake is an EInvalid that names the
// connection and says what to set or fix, and none quotes the url, which
// may hold a password.
func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"no bucket", map[string]string{"url": "couchbase://127.0.0.1"}, "bucket is not set: set bucket to the name of the Couchbase bucket"},
		{"no url", map[string]string{"bucket": "b"}, "url is not set: set url to the cluster's address, such as couchbase://127.0.0.1"},
		{"redis url", map[string]string{"url": "redis://127.0.0.1:6379", "bucket": "b"}, "url must start with couchbase:// or couchbases://"},
		{"no scheme", map[string]string{"url": "127.0.0.1", "bucket": "b"}, "url must start with couchbase://"},
		{"no host", map[string]string{"url": "couchbase://", "bucket": "b"}, "url names no host"},
		{"bad port", map[string]string{"url": "couchbase://127.0.0.1:11x210", "bucket": "b"}, "names a host or a port that is not one"},
		{"port out of range", map[string]string{"url": "couchbase://h1:11210,h2:99999", "bucket": "b"}, "names a host or a port that is not one"},
		{"empty host", map[string]string{"url": "couchbase://:11210", "bucket": "b"}, "names a host or a port that is not one"},
		{"password in the url", map[string]string{"url": "couchbase://u:hunter2@127.0.0.1", "bucket": "b"}, "url holds a password"},
		{"two users", map[string]string{"url": "couchbase://alice@127.0.0.1", "bucket": "b", "username": "bob"}, `the url names the user "alice" and username "bob"`},
		{"two buckets", map[string]string{"url": "couchbase://127.0.0.1/one", "bucket": "two"}, `the url names the bucket "one" and bucket "two"`},
		{"bad bucket", map[string]string{"url": "couchbase://127.0.0.1", "bucket": "a`b"}, "is not a Couchbase bucket name"},
		{"bad scope", map[string]string{"url": "couchbase://127.0.0.1", "bucket": "b", "scope": "a.b"}, `scope "a.b" is not a Couchbase scope name`},
		{"bad collection", map[string]string{"url": "couchbase://127.0.0.1", "bucket": "b", "collection": "x y"}, `collection "x y" is not a Couchbase collection name`},
		{"bad timeout", map[string]string{"url": "couchbase://127.0.0.1", "bucket": "b", "timeout": "soon"}, "timeout:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig(connection(tc.params))
			if scopes.ErrorCode(err) != scopes.EInvalid {
				t.Fatalf("error %v, want an EInvalid", err)
			}
			msg := scopes.ErrorMessage(err)
			if !strings.HasPrefix(msg, "couchbase connection cb: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want it to name the connection and say %q", msg, tc.want)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("message %q shows the password", msg)
			}
		})
	}
}

func TestDocKey(t *testing.T) {
	cfid := "0c9a1f4e-2b7d-4c8e-9f10-3a5b6c7d8e9f"
	got, err := docKey(scopes.Key{App: "shop", Kind: scopes.Session, CFID: cfid})
	if err != nil || got != "scopestore:shop:session:"+cfid {
		t.Errorf("docKey = %q, %v; want scopestore:shop:session:%s", got, err, cfid)
	}
	if got, _ := docKey(scopes.Key{App: "shop", Kind: scopes.Client, CFID: cfid}); got != "scopestore:shop:client:"+cfid {
		t.Errorf("client docKey = %q", got)
	}
	if got, _ := docKey(scopes.ServerKey()); got != "scopestore:_server:server:server" {
		t.Errorf("server docKey = %q", got)
	}
	for _, key := range []scopes.Key{
		{App: "a:b", Kind: scopes.Session, CFID: cfid},
		{App: "", Kind: scopes.Session, CFID: cfid},
		{App: "shop", Kind: scopes.Session, CFID: ""},
		{App: "shop", Kind: "request", CFID: cfid},
		{App: strings.Repeat("a", 250), Kind: scopes.Session, CFID: cfid},
	} {
		if k, err := docKey(key); scopes.ErrorCode(err) != scopes.EInvalid {
			t.Errorf("docKey(%+v) = %q, %v; want an EInvalid", key, k, err)
		}
	}
	// Verify's probe can be no scope's key: those have three colons.
	if strings.Count(keyPrefix+"verify:0011", ":") >= strings.Count(got, ":") {
		t.Error("the probe's key could be a scope's")
	}
}

// gocbExpiry is what gocb sends Couchbase for an expiry duration d at now
// (kvopmanager_core.go, durationToExpiry), turned into the time at which
// Couchbase expires the document: as memcached, under 30 days a number of
// seconds from now, from 30 days on an absolute Unix time.
func gocbExpiry(d time.Duration, now time.Time) time.Time {
	switch {
	case d == 0:
		return time.Time{} // never
	case d < time.Second:
		return now.Add(time.Second)
	case d < 30*24*time.Hour:
		return now.Add(d / time.Second * time.Second)
	}
	return time.Unix(now.Add(d).Unix(), 0)
}

func TestDocExpiry(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 123456789, time.UTC)
	for _, tc := range []struct {
		name    string
		expires time.Time
		want    time.Duration
	}{
		{"30 minutes", now.Add(30 * time.Minute), 30*time.Minute + expiryGrace + time.Second},
		{"a part of a second rounds up", now.Add(1500 * time.Millisecond), expiryGrace + 3*time.Second},
		{"expired within the grace", now.Add(-time.Hour), expiryGrace - time.Hour + time.Second},
		{"expired long ago: a second, never 0", now.Add(-48 * time.Hour), time.Second},
		{"90 days", now.Add(90 * 24 * time.Hour), 90*24*time.Hour + expiryGrace + time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := docExpiry(tc.expires, now)
			if d != tc.want {
				t.Errorf("docExpiry = %v, want %v", d, tc.want)
			}
			if d%time.Second != 0 || d < time.Second {
				t.Errorf("docExpiry = %v: not whole seconds, or under one", d)
			}
			at := gocbExpiry(d, now)
			if at.IsZero() {
				t.Fatal("the document would never expire")
			}
			if !tc.expires.Before(now) && at.Before(tc.expires.Add(expiryGrace)) {
				t.Errorf("the document expires at %v, before its scope's expiry %v plus the grace", at, tc.expires)
			}
		})
	}
	// Both sides of gocb's 30 days, where the expiry turns absolute.
	for _, days := range []time.Duration{29, 30, 31, 3650} {
		expires := now.Add(days*24*time.Hour - expiryGrace)
		at := gocbExpiry(docExpiry(expires, now), now)
		if at.Before(expires.Add(expiryGrace)) || at.After(expires.Add(expiryGrace+2*time.Second)) {
			t.Errorf("%d days: the document expires at %v, want within 2s after %v", days, at, expires.Add(expiryGrace))
		}
	}
}

func testRecord() scopes.Record {
	now := time.UnixMilli(1764748800123)
	return scopes.Record{
		Key:         scopes.Key{App: "shop", Kind: scopes.Client, CFID: "0c9a1f4e-2b7d-4c8e-9f10-3a5b6c7d8e9f"},
		CFToken:     "0",
		TimeCreated: now.Add(-time.Hour),
		LastVisit:   now,
		HitCount:    3,
		Expires:     now.Add(90 * 24 * time.Hour),
		Version:     7,
		Rev:         scopes.NewRev(),
		Data:        json.RawMessage(`{"z":1,"a":"Zoë \"Z\" \u2028","n":1.50,"big":12345678901234567890}`),
	}
}

// TestDocumentRoundTrip: a document holds the record exactly (its data
// byte for byte), the fields that the indexes read, and the revs.
func TestDocumentRoundTrip(t *testing.T) {
	rec := testRecord()
	prev := []string{"r1", "r2"}
	b := encodeDocument(rec, prev)
	if !json.Valid(b) {
		t.Fatalf("document is not JSON: %s", b)
	}
	var fields struct {
		Type, App, Kind, CFID string
		Expires               int64
	}
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	if fields.Type != "scopestore" || fields.App != "shop" || fields.Kind != "client" || fields.CFID != rec.CFID || fields.Expires != rec.Expires.UnixMilli() {
		t.Errorf("indexed fields %+v", fields)
	}
	got, revs, err := decodeDocument(rec.Key, b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rev != rec.Rev || got.Version != 7 || got.HitCount != 3 || !got.Expires.Equal(rec.Expires) ||
		!got.LastVisit.Equal(rec.LastVisit) || !got.TimeCreated.Equal(rec.TimeCreated) || got.CFToken != "0" || got.Key != rec.Key {
		t.Errorf("decoded %+v, want %+v", got, rec)
	}
	if string(got.Data) != string(rec.Data) {
		t.Errorf("data %s, want %s byte for byte", got.Data, rec.Data)
	}
	if strings.Join(revs, ",") != "r1,r2" {
		t.Errorf("revs %v, want [r1 r2]", revs)
	}
	if !holds(got.Rev, revs, rec.Rev) || !holds(got.Rev, revs, "r2") || holds(got.Rev, revs, "r3") {
		t.Error("holds does not tell the document's writes")
	}

	// Only keptRevs earlier revs are kept.
	many := make([]string, 40)
	for i := range many {
		many[i] = "r" + strconv.Itoa(i)
	}
	_, revs, err = decodeDocument(rec.Key, encodeDocument(rec, many))
	if err != nil || len(revs) != keptRevs || revs[0] != "r0" {
		t.Errorf("revs %v, %v; want the first %d", revs, err, keptRevs)
	}

	// Empty data is stored as an object.
	rec.Data = nil
	got, _, err = decodeDocument(rec.Key, encodeDocument(stored(rec), nil))
	if err != nil || string(got.Data) != "{}" {
		t.Errorf("empty data decoded as %q, %v", got.Data, err)
	}
}

func TestDecodeDocumentCorrupt(t *testing.T) {
	rec := testRecord()
	other := rec
	other.CFID = "ffffffff-2b7d-4c8e-9f10-3a5b6c7d8e9f"
	for name, b := range map[string][]byte{
		"not JSON":          []byte("rO0ABXNyABFqYXZh"),
		"another program's": []byte(`{"type":"user","name":"x"}`),
		"a bare envelope":   scopes.EncodeRecord(rec),
		"another key's":     encodeDocument(other, nil),
		"a broken envelope": []byte(`{"type":"scopestore","app":"shop","kind":"client","cfid":"` + rec.CFID + `","expires":1,"revs":[],"scope":{"v":99}}`),
	} {
		_, _, err := decodeDocument(rec.Key, b)
		if scopes.ErrorCode(err) != scopes.ECorrupt || !strings.Contains(scopes.ErrorMessage(err), rec.CFID) {
			t.Errorf("%s: error %v, want an ECorrupt naming the scope", name, err)
		}
	}
}

func testStore(t *testing.T) *Store {
	t.Helper()
	cfg, err := parseConfig(connection(map[string]string{"url": "couchbase://127.0.0.1", "bucket": "sessions", "username": "scopestore"}))
	if err != nil {
		t.Fatal(err)
	}
	return &Store{cfg: cfg, keyspace: "`sessions`.`_default`.`_default`"}
}

// TestErrorMapping: gocb's errors become the codes that the API answers
// with, in words an operator acts on, and a write's failure says whether it
// may have been applied, which decides whether the engine sends it again.
func TestErrorMapping(t *testing.T) {
	s := testStore(t)
	sent := "10.0.0.7:11210"
	for _, tc := range []struct {
		name    string
		err     error
		code    string // of readError and of writeError when applied is false
		msg     string
		unknown bool // writeError: the write may have been applied
	}{
		{"timeout before sending", &gocb.TimeoutError{InnerError: gocb.ErrAmbiguousTimeout}, scopes.EUnavailable, "no answer in time", false},
		{"timeout after sending", &gocb.TimeoutError{InnerError: gocb.ErrAmbiguousTimeout, LastDispatchedTo: sent}, scopes.EUnavailable, "no answer in time", true},
		{"read timeout", &gocb.TimeoutError{InnerError: gocb.ErrUnambiguousTimeout, LastDispatchedTo: sent}, scopes.EUnavailable, "no answer in time", true},
		{"unknown collection", &gocb.TimeoutError{InnerError: gocb.ErrUnambiguousTimeout, RetryReasons: []gocb.RetryReason{gocb.KVCollectionOutdatedRetryReason}}, scopes.EUnavailable, `has no collection "_default"`, false},
		{"canceled after sending", &gocb.KeyValueError{InnerError: gocb.ErrRequestCanceled, LastDispatchedTo: sent}, scopes.EUnavailable, "canceled", true},
		{"server answered busy", &gocb.KeyValueError{InnerError: gocb.ErrTemporaryFailure, StatusCode: 0x86, LastDispatchedTo: sent}, scopes.EUnavailable, "busy", false},
		{"authentication", gocb.ErrAuthenticationFailure, scopes.EUnavailable, `refused the user name "scopestore"`, false},
		{"no bucket", &gocb.KeyValueError{InnerError: gocb.ErrBucketNotFound}, scopes.EUnavailable, `no bucket "sessions"`, false},
		{"no collection", gocb.ErrCollectionNotFound, scopes.EUnavailable, `has no collection "_default" in scope "_default"`, false},
		{"closed", gocb.ErrShutdown, scopes.EUnavailable, "closed", false},
		{"too large", &gocb.KeyValueError{InnerError: gocb.ErrValueTooLarge, StatusCode: 0x03, LastDispatchedTo: sent}, scopes.ETooLarge, "20 MB", false},
		{"no index", &gocb.QueryError{InnerError: gocb.ErrIndexFailure, Errors: []gocb.QueryErrorDesc{{Code: 12016, Message: "Index Not Found"}}}, scopes.EUnavailable, "Index Not Found", true},
		{"durability ambiguous", &gocb.KeyValueError{InnerError: gocb.ErrDurabilityAmbiguous, StatusCode: 0xa3, LastDispatchedTo: sent}, scopes.EUnavailable, "failed", true},
		{"anything else", errors.New("EOF"), scopes.EUnavailable, "the log has the detail", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.readError("load", tc.err)
			if scopes.ErrorCode(err) != tc.code || !strings.Contains(scopes.ErrorMessage(err), tc.msg) {
				t.Errorf("readError = %s %q; want %s with %q", scopes.ErrorCode(err), scopes.ErrorMessage(err), tc.code, tc.msg)
			}
			if tc.code == scopes.EUnavailable && !strings.Contains(scopes.ErrorMessage(err), `storage "cb"`) {
				t.Errorf("message %q does not name the connection", scopes.ErrorMessage(err))
			}
			if !errors.Is(err, tc.err) {
				t.Error("readError lost the cause")
			}
			werr := s.writeError("write", tc.err)
			switch {
			case tc.unknown && scopes.ErrorCode(werr) != scopes.EInternal:
				t.Errorf("writeError = %v (%s); want a plain error, of unknown outcome, which the engine resolves", werr, scopes.ErrorCode(werr))
			case tc.unknown && errors.Is(werr, scopes.ErrNotApplied):
				t.Errorf("writeError = %v marked not applied", werr)
			case !tc.unknown && (scopes.ErrorCode(werr) != tc.code || !errors.Is(werr, scopes.ErrNotApplied)):
				t.Errorf("writeError = %v (%s); want %s marked not applied", werr, scopes.ErrorCode(werr), tc.code)
			}
		})
	}
	if s.readError("load", nil) != nil || s.writeError("write", nil) != nil {
		t.Error("nil became an error")
	}
}

func TestIndexStatements(t *testing.T) {
	s := testStore(t)
	got := strings.Join(s.IndexStatements(), "\n")
	want := "CREATE INDEX `scopestore_list` ON `sessions`.`_default`.`_default`(`app`, `kind`, `cfid`, `expires`) WHERE `type` = \"scopestore\";\n" +
		"CREATE INDEX `scopestore_expires` ON `sessions`.`_default`.`_default`(`expires`, `app`, `kind`, `cfid`) WHERE `type` = \"scopestore\";"
	if got != want {
		t.Errorf("statements\n%s\nwant\n%s", got, want)
	}
	if q := s.statement(listStatement); !strings.Contains(q, "FROM `sessions`.`_default`.`_default` AS d WHERE d.`type` = \"scopestore\"") {
		t.Errorf("list statement %s", q)
	}
}

// TestUnreachable: with no Couchbase at the url, Open succeeds (gocb
// connects in the background), and each operation fails within its timeout
// with EUnavailable naming the connection; a write that was never sent is
// marked not applied, so that the API answers 503 at once.
func TestUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for timeouts")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now

	c := connection(map[string]string{"url": "couchbase://127.0.0.1:" + strconv.Itoa(port), "bucket": "sessions", "username": "u", "timeout": "1s"})
	start := time.Now()
	s, err := Open(context.Background(), c)
	if err != nil {
		t.Fatalf("Open with the server down: %v", err)
	}
	defer s.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Open took %v: it must not wait for the server", d)
	}
	ctx := context.Background()
	now := time.Now()
	rec := testRecord()
	rec.Expires = now.Add(time.Hour)

	check := func(what string, err error, notApplied bool) {
		t.Helper()
		if scopes.ErrorCode(err) != scopes.EUnavailable || !strings.Contains(scopes.ErrorMessage(err), `storage "cb"`) {
			t.Errorf("%s: error %v (%s), want an EUnavailable naming the connection", what, err, scopes.ErrorCode(err))
		}
		if notApplied && !errors.Is(err, scopes.ErrNotApplied) {
			t.Errorf("%s: error %v is not marked not applied", what, err)
		}
		t.Logf("%s: %s", what, scopes.ErrorMessage(err))
	}
	start = time.Now()
	_, _, err = s.Load(ctx, rec.Key, now)
	check("Load", err, false)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Load took %v with a 1s timeout", d)
	}
	_, err = s.Write(ctx, rec, scopes.ExpectAbsent, now)
	check("Write (insert)", err, true)
	_, err = s.Write(ctx, rec, rec.Rev, now)
	check("Write (compare-and-set)", err, true)
	_, err = s.Delete(ctx, rec.Key)
	check("Delete", err, true)
	check("Ping", s.Ping(ctx), false)
}
