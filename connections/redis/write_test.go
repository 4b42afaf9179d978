package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// writeScript reads the first 256 bytes of a stored value for its checks,
// and the whole value when the header is longer: a compare-and-set on a
// record with a long header (a long cftoken, a rotated record) is applied
// when its rev matches and is a conflict, with the live record, when not.
func TestWriteLongHeader(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := MustOpen(t, b.params(t))
			now := time.Now()
			for name, long := range map[string]func(*scopes.Record){
				"cftoken": func(r *scopes.Record) { r.CFToken = strings.Repeat("t", 300) },
				"rotated": func(r *scopes.Record) { r.CFToken, r.RotatedTo = strings.Repeat("t", 180), scopes.NewCFID() },
			} {
				rec := newRecord("shop", scopes.Session, now, `{"n":1}`)
				long(&rec)
				if n := len(scopes.EncodeRecord(rec)) - len(`{"n":1}}`); n <= 256 {
					t.Fatalf("%s: a header of %d bytes; the test needs more than 256", name, n)
				}
				if res, err := s.Write(ctx, rec, scopes.ExpectAbsent, now); err != nil || !res.Written {
					t.Fatalf("%s: create = %+v, %v", name, res, err)
				}
				stale := rec
				stale.Rev, stale.Version, stale.Data = scopes.NewRev(), 2, []byte(`{"n":2}`)
				res, err := s.Write(ctx, stale, scopes.NewRev(), now)
				if err != nil || res.Written || !res.Found || res.Rec.Rev != rec.Rev || string(res.Rec.Data) != `{"n":1}` {
					t.Fatalf("%s: a write expecting another rev = %+v, %v; want a conflict with the live record", name, res, err)
				}
				next := rec
				next.Rev, next.Version, next.Data = scopes.NewRev(), 2, []byte(`{"n":3}`)
				if res, err := s.Write(ctx, next, rec.Rev, now); err != nil || !res.Written {
					t.Fatalf("%s: a write expecting the live rev = %+v, %v; want it written", name, res, err)
				}
				if got, found, err := s.Load(ctx, rec.Key, now); err != nil || !found || string(got.Data) != `{"n":3}` || got.CFToken != rec.CFToken {
					t.Fatalf("%s: Load = %+v, %v, %v", name, got, found, err)
				}
			}
		})
	}
}
