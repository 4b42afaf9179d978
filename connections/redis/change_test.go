package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// Change visits and saves a stored scope in place, in one script.
func TestChangeInPlace(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := MustOpen(t, b.params(t))
			now := time.Now()
			rec := save(t, s, newRecord("shop", scopes.Client, now, `{"n":1}`))
			later := now.Add(time.Minute)

			visit := scopes.Change{Rev: scopes.NewRev(), LastVisit: later, Expires: later.Add(time.Hour), Hit: true}
			for i := range 2 { // the second is the same change sent again
				got, found, ok, err := s.Change(ctx, rec.Key, visit, later)
				if err != nil || !found || !ok {
					t.Fatalf("visit #%d = %v, %v, %v", i+1, found, ok, err)
				}
				if got.HitCount != 1 || got.Version != 1 || got.LastVisit.UnixMilli() != later.UnixMilli() || got.Rev != visit.Rev || string(got.Data) != `{"n":1}` {
					t.Errorf("visit #%d: %+v; want one hit, version 1, the visit's lastvisit and rev", i+1, got)
				}
			}

			put := scopes.Change{Rev: scopes.NewRev(), Data: []byte(`{"n":2}`), IfVersion: 1, LastVisit: later, Expires: later.Add(time.Hour)}
			got, found, ok, err := s.Change(ctx, rec.Key, put, later)
			if err != nil || !found || !ok || got.Version != 2 || string(got.Data) != `{"n":2}` {
				t.Fatalf("save in place = %+v, %v, %v, %v", got, found, ok, err)
			}
			stale := scopes.Change{Rev: scopes.NewRev(), Data: []byte(`{"n":3}`), IfVersion: 1, LastVisit: later, Expires: later.Add(time.Hour)}
			if got, found, ok, err := s.Change(ctx, rec.Key, stale, later); err != nil || !found || ok || got.Version != 2 {
				t.Errorf("save of a stale version = %+v, %v, %v, %v; want not applied, the stored version 2", got, found, ok, err)
			}
			loaded, _, _ := s.Load(ctx, rec.Key, later)
			if string(loaded.Data) != `{"n":2}` || loaded.HitCount != 1 {
				t.Errorf("stored %s with %d hits; want {\"n\":2} and 1", loaded.Data, loaded.HitCount)
			}

			// A PATCH whose result is over the size limit changes nothing.
			big := scopes.Patch{Set: map[string]json.RawMessage{"blob": json.RawMessage(`"` + strings.Repeat("x", 100) + `"`)}}
			tooLarge := scopes.Change{Rev: scopes.NewRev(), Patch: &big, MaxSize: 64, LastVisit: later, Expires: later.Add(time.Hour)}
			if _, _, _, err := s.Change(ctx, rec.Key, tooLarge, later); scopes.ErrorCode(err) != scopes.ETooLarge {
				t.Errorf("a PATCH over the size limit: %v; want too_large", err)
			}
			if loaded, _, _ := s.Load(ctx, rec.Key, later); string(loaded.Data) != `{"n":2}` || loaded.Version != 2 {
				t.Errorf("after a refused PATCH the scope is %s v%d; want it unchanged", loaded.Data, loaded.Version)
			}

			missing := newRecord("shop", scopes.Client, now, `{}`)
			if _, found, _, err := s.Change(ctx, missing.Key, scopes.Change{Rev: scopes.NewRev(), LastVisit: later, Expires: later}, later); err != nil || found {
				t.Errorf("change of a missing scope = found %v, %v", found, err)
			}
			// A value in another form is left to a read and a write.
			if err := s.client.Set(ctx, rawKey(s, missing.Key), `{"v":1,"cftoken":"0","timecreated":1,"lastvisit":1,"hitcount":0,"expires":99999999999999,"version":1,"data":{}}`, 0).Err(); err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := s.Change(ctx, missing.Key, scopes.Change{Rev: scopes.NewRev(), LastVisit: later, Expires: later}, later); !errors.Is(err, scopes.ErrUnchangeable) {
				t.Errorf("change of a value without rev: %v; want ErrUnchangeable", err)
			}
		})
	}
}

// A PATCH applied by the change script gives what scopes.Patch.Apply gives,
// member for member and in the same order, on random data and patches, on
// Redis's Lua and miniredis's; where the script cannot apply a patch as
// Apply does, it says so (ErrUnchangeable) and the engine applies it.
func TestChangePatchMatchesApply(t *testing.T) {
	for _, b := range backends {
		if b.name == "cluster" {
			continue // the same Lua as standalone Redis
		}
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := MustOpen(t, b.params(t))
			rnd := rand.New(rand.NewPCG(1, 2))
			now := time.Now()
			applied, fallbacks := 0, 0
			for i := range 300 {
				data := randomObject(rnd)
				p := randomPatch(rnd)
				rec := save(t, s, newRecord("shop", scopes.Session, now, string(data)))
				want, wantErr := p.Apply(data)
				c := scopes.Change{Rev: scopes.NewRev(), Patch: &p, LastVisit: now, Expires: now.Add(time.Hour)}
				got, found, ok, err := s.Change(ctx, rec.Key, c, now)
				switch {
				case errors.Is(err, scopes.ErrUnchangeable):
					fallbacks++
					continue
				case err != nil || !found || !ok:
					t.Fatalf("case %d: %s with %+v: %v, %v, %v", i, data, p, found, ok, err)
				case wantErr != nil:
					t.Errorf("case %d: %s with %+v: the script applied it (%s), Apply refused: %v", i, data, p, got.Data, wantErr)
					continue
				}
				applied++
				if err := sameJSON(got.Data, want); err != nil {
					t.Errorf("case %d: %s with %+v:\n script %s\n Apply  %s\n %v", i, data, p, got.Data, want, err)
				}
				if got.Version != rec.Version+1 {
					t.Errorf("case %d: version %d, want %d", i, got.Version, rec.Version+1)
				}
			}
			t.Logf("%d patches applied in place, %d left to the engine", applied, fallbacks)
			if applied < 80 {
				t.Errorf("only %d of 300 patches applied in place", applied)
			}
		})
	}
}

// sameJSON tells how two objects differ in their members, values or order.
func sameJSON(a, b []byte) error {
	var x, y any
	dx, dy := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	dx.UseNumber()
	dy.UseNumber()
	if err := dx.Decode(&x); err != nil {
		return err
	}
	if err := dy.Decode(&y); err != nil {
		return err
	}
	if !reflect.DeepEqual(x, y) {
		return errors.New("the values differ")
	}
	if ka, kb := topKeys(a), topKeys(b); !slices.Equal(ka, kb) {
		return fmt.Errorf("member order %v, want %v", ka, kb)
	}
	return nil
}

// topKeys lists an object's member names in order.
func topKeys(b []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(b))
	var keys []string
	depth := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
			expectKey = depth == 1 && v == '{'
			continue
		case string:
			if depth == 1 && expectKey {
				keys = append(keys, v)
				expectKey = false
				continue
			}
		}
		if depth == 1 {
			expectKey = true
		}
	}
}

var randomNames = []string{"a", "b", "B", "aa", "n", "N", "x1", "_", "é", "ß", "cart", "<tag>", `q"uote`}

func randomValue(rnd *rand.Rand, depth int) string {
	switch rnd.IntN(9) {
	case 0:
		return strconv.Itoa(rnd.IntN(2_000_001) - 1_000_000)
	case 1:
		return strconv.FormatFloat(rnd.Float64()*100, 'f', 2, 64)
	case 2:
		return `"plain"`
	case 3:
		return `"<b>&'q\"uo\\te é"`
	case 4:
		return []string{"true", "false", "null"}[rnd.IntN(3)]
	case 5:
		if depth < 2 {
			return `[` + randomValue(rnd, depth+1) + `,` + randomValue(rnd, depth+1) + `]`
		}
		return `[]`
	case 6:
		if depth < 2 {
			return string(randomObjectDepth(rnd, depth+1))
		}
		return `{}`
	case 7:
		return `"}{]["`
	}
	return strconv.Itoa(rnd.IntN(100))
}

func randomObject(rnd *rand.Rand) []byte { return randomObjectDepth(rnd, 0) }

func randomObjectDepth(rnd *rand.Rand, depth int) []byte {
	n := rnd.IntN(6)
	var parts []string
	for range n {
		name, _ := json.Marshal(randomNames[rnd.IntN(len(randomNames))])
		parts = append(parts, string(name)+":"+randomValue(rnd, depth))
	}
	var out bytes.Buffer
	if err := json.Compact(&out, []byte("{"+strings.Join(parts, ",")+"}")); err != nil {
		panic(err)
	}
	return out.Bytes()
}

func randomPatch(rnd *rand.Rand) scopes.Patch {
	p := scopes.Patch{Set: map[string]json.RawMessage{}, Incr: map[string]json.Number{}}
	used := map[string]bool{}
	for range 1 + rnd.IntN(4) {
		name := randomNames[rnd.IntN(len(randomNames))]
		if used[name] {
			continue
		}
		used[name] = true
		switch rnd.IntN(4) {
		case 0, 1:
			p.Set[name] = json.RawMessage(randomValue(rnd, 1))
		case 2:
			p.Unset = append(p.Unset, name)
		default:
			amounts := []string{"1", "-3", "1000000", "0", "2.5"}
			p.Incr[name] = json.Number(amounts[rnd.IntN(len(amounts))])
		}
	}
	return p
}
