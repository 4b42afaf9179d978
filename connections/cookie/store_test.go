package cookie_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scopestore/scopestore/connections/cookie"
	"github.com/scopestore/scopestore/scopes"
)

// storages offers the cookie storage alone.
type storages struct{ st scopes.Store }

func (s storages) Store(_ context.Context, name string) (scopes.Store, error) {
	if name != scopes.StorageCookie {
		return nil, scopes.Errorf(scopes.EInvalidSettings, "unknown storage %q", name)
	}
	return s.st, nil
}

func (s storages) Names(context.Context, scopes.Kind) ([]string, error) {
	return []string{scopes.StorageCookie}, nil
}

func (s storages) Open() map[string]scopes.Store {
	return map[string]scopes.Store{scopes.StorageCookie: s.st}
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func secret(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// MustOpenEngine returns an engine whose client scopes are kept in cookie
// storage under the keys derived from secrets, and its clock.
func MustOpenEngine(tb testing.TB, secrets ...[]byte) (*scopes.Engine, *clock) {
	tb.Helper()
	ring, err := cookie.NewRing(secrets...)
	if err != nil {
		tb.Fatal(err)
	}
	eng := scopes.NewEngine(storages{cookie.New(ring)})
	clk := &clock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	eng.Now = clk.Now
	return eng, clk
}

// settings are an app's with its client scope in cookie storage.
func settings() scopes.Settings {
	eff := scopes.Resolve(nil, scopes.Layer{scopes.ClientStorage: {Value: scopes.StorageCookie, By: scopes.FromApp}})
	return eff.Settings
}

// op runs one operation with token sent as the Scope-Token, and returns the
// token it sealed.
func op(token string, f func(ctx context.Context) error) (string, error) {
	tok := &scopes.ScopeToken{In: token}
	err := f(scopes.WithScopeToken(context.Background(), tok))
	return tok.Out, err
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := scopes.ErrorCode(err); got != code {
		t.Fatalf("error %v (code %q), want code %q", err, got, code)
	}
}

// create makes a client scope with data and returns its key and token.
func create(t *testing.T, eng *scopes.Engine, app, data string) (scopes.Key, string) {
	t.Helper()
	var sc *scopes.Scope
	token, err := op("", func(ctx context.Context) (err error) {
		sc, err = eng.Create(ctx, settings(), app, scopes.Client, json.RawMessage(data))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if token == "" || len(token) > scopes.MaxCookieToken || sc.Storage != scopes.StorageCookie {
		t.Fatalf("create sealed %q (%d bytes) in storage %q", token, len(token), sc.Storage)
	}
	return scopes.Key{App: app, Kind: scopes.Client, CFID: sc.CFID}, token
}

func load(eng *scopes.Engine, key scopes.Key, token string) (*scopes.Scope, string, error) {
	var sc *scopes.Scope
	out, err := op(token, func(ctx context.Context) (err error) {
		sc, err = eng.Load(ctx, settings(), key)
		return err
	})
	return sc, out, err
}

func TestCycle(t *testing.T) {
	eng, _ := MustOpenEngine(t, secret(1))
	key, token := create(t, eng, "shop", `{"lang":"de"}`)

	sc, token2, err := load(eng, key, token)
	if err != nil {
		t.Fatal(err)
	}
	if *sc.HitCount != 2 || sc.Version != 1 || string(sc.Data) != `{"lang":"de"}` || token2 == "" || token2 == token {
		t.Fatalf("load: hits %d, version %d, data %s, token renewed %v", *sc.HitCount, sc.Version, sc.Data, token2 != token)
	}

	var saved *scopes.Scope
	token3, err := op(token2, func(ctx context.Context) (err error) {
		saved, err = eng.Save(ctx, settings(), key, json.RawMessage(`{"lang":"fr"}`), 1)
		return err
	})
	if err != nil || saved.Version != 2 {
		t.Fatalf("save with If-Match 1: %v, %+v", err, saved)
	}
	// If-Match is checked against the version in the token.
	_, err = op(token3, func(ctx context.Context) error {
		_, err := eng.Save(ctx, settings(), key, json.RawMessage(`{}`), 1)
		return err
	})
	wantCode(t, err, scopes.EPreconditionFailed)

	var patched *scopes.Scope
	token4, err := op(token3, func(ctx context.Context) (err error) {
		patched, err = eng.Patch(ctx, settings(), key, scopes.Patch{Incr: map[string]json.Number{"n": "2"}})
		return err
	})
	if err != nil || patched.Version != 3 || string(patched.Data) != `{"lang":"fr","n":2}` {
		t.Fatalf("patch: %v, %+v", err, patched)
	}

	token5, err := op(token4, func(ctx context.Context) error { return eng.Touch(ctx, settings(), key) })
	if err != nil || token5 == "" {
		t.Fatalf("touch: %v, token %q", err, token5)
	}
	sc, _, err = load(eng, key, token5)
	if err != nil || sc.Version != 3 || *sc.HitCount != 6 {
		t.Fatalf("after touch: %v, %+v", err, sc)
	}

	// Delete: nothing to delete server-side, always done.
	if _, err := op(token5, func(ctx context.Context) error { return eng.Delete(ctx, settings(), key) }); err != nil {
		t.Fatalf("delete: %v", err)
	}
}

func TestNotFound(t *testing.T) {
	eng, clk := MustOpenEngine(t, secret(1))
	key, token := create(t, eng, "shop", `{"a":1}`)
	other, _ := create(t, eng, "shop", `{}`)

	flip := []byte(token)
	mid := len(flip) / 2
	flip[mid] ^= 1
	if flip[mid] == '-' || flip[mid] == '_' || flip[mid] > 'z' {
		flip[mid] = 'A'
	}
	wrong, _ := MustOpenEngine(t, secret(2))
	cases := []struct {
		name  string
		eng   *scopes.Engine
		key   scopes.Key
		token string
	}{
		{"no token", eng, key, ""},
		{"garbage", eng, key, "not a token"},
		{"a byte flipped", eng, key, string(flip)},
		{"cut short", eng, key, token[:len(token)-4]},
		{"another cfid", eng, other, token},
		{"another app", eng, scopes.Key{App: "shop2", Kind: scopes.Client, CFID: key.CFID}, token},
		{"another key", wrong, key, token},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, out, err := load(c.eng, c.key, c.token)
			wantCode(t, err, scopes.ENotFound)
			if out != "" {
				t.Error("a token was sealed for an unknown scope")
			}
			_, err = op(c.token, func(ctx context.Context) error {
				_, err := c.eng.Save(ctx, settings(), c.key, json.RawMessage(`{}`))
				return err
			})
			wantCode(t, err, scopes.ENotFound)
		})
	}

	t.Run("expired", func(t *testing.T) {
		clk.Advance(90*24*time.Hour - time.Second)
		_, fresh, err := load(eng, key, token)
		if err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		clk.Advance(90 * 24 * time.Hour)
		_, _, err = load(eng, key, fresh)
		wantCode(t, err, scopes.ENotFound)
	})
}

func TestTooLarge(t *testing.T) {
	eng, _ := MustOpenEngine(t, secret(1))
	key, token := create(t, eng, "shop", `{}`)
	big := `{"x":"` + strings.Repeat("a", 3200) + `"}`
	_, err := op(token, func(ctx context.Context) error {
		_, err := eng.Save(ctx, settings(), key, json.RawMessage(big))
		return err
	})
	wantCode(t, err, scopes.ETooLarge)
	if msg := scopes.ErrorMessage(err); !strings.Contains(msg, "another storage") || !strings.Contains(msg, "4096") {
		t.Errorf("message %q does not say to use another client storage", msg)
	}
	_, err = op("", func(ctx context.Context) error {
		_, err := eng.Create(ctx, settings(), "shop", scopes.Client, json.RawMessage(big))
		return err
	})
	wantCode(t, err, scopes.ETooLarge)
	// Just under: accepted.
	fits := `{"x":"` + strings.Repeat("a", 2700) + `"}`
	out, err := op(token, func(ctx context.Context) error {
		_, err := eng.Save(ctx, settings(), key, json.RawMessage(fits))
		return err
	})
	if err != nil || len(out) > scopes.MaxCookieToken {
		t.Fatalf("2.7 KB of data: %v, token of %d bytes", err, len(out))
	}
}

// TestKeyRotation: a ring with the new secret first and the old one after
// opens the old tokens and seals with the new one.
func TestKeyRotation(t *testing.T) {
	old, _ := MustOpenEngine(t, secret(1))
	key, token := create(t, old, "shop", `{"a":1}`)
	rotated, _ := MustOpenEngine(t, secret(2), secret(1))
	sc, fresh, err := load(rotated, key, token)
	if err != nil || string(sc.Data) != `{"a":1}` {
		t.Fatalf("an old token under the rotated keys: %v", err)
	}
	if _, _, err := load(old, key, fresh); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Fatalf("a token sealed after the rotation opens with the old key alone: %v", err)
	}
	newOnly, _ := MustOpenEngine(t, secret(2))
	if _, _, err := load(newOnly, key, fresh); err != nil {
		t.Fatalf("the new key alone: %v", err)
	}
	if _, _, err := load(newOnly, key, token); scopes.ErrorCode(err) != scopes.ENotFound {
		t.Fatalf("an old token opens once the old key is dropped: %v", err)
	}
}

// TestReplay documents the limit: with nothing kept server-side, an older
// token presented after a newer save brings the older scope back.
func TestReplay(t *testing.T) {
	eng, _ := MustOpenEngine(t, secret(1))
	key, token1 := create(t, eng, "shop", `{"credit":10}`)
	token2, err := op(token1, func(ctx context.Context) error {
		_, err := eng.Save(ctx, settings(), key, json.RawMessage(`{"credit":0}`))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sc, _, err := load(eng, key, token1)
	if err != nil || string(sc.Data) != `{"credit":10}` || sc.Version != 1 {
		t.Fatalf("the replayed token: %v, %+v", err, sc)
	}
	sc, _, err = load(eng, key, token2)
	if err != nil || string(sc.Data) != `{"credit":0}` || sc.Version != 2 {
		t.Fatalf("the newer token: %v, %+v", err, sc)
	}
}

func TestUnsupported(t *testing.T) {
	eng, _ := MustOpenEngine(t, secret(1))
	_, _, err := eng.Count(context.Background(), settings(), "shop", scopes.Client)
	wantCode(t, err, scopes.EUnsupported)
	if !strings.Contains(scopes.ErrorMessage(err), "browser") {
		t.Errorf("message %q", scopes.ErrorMessage(err))
	}
	_, err = eng.List(context.Background(), settings(), "shop", scopes.Client, scopes.ListQuery{})
	wantCode(t, err, scopes.EUnsupported)
	_, err = eng.InvalidateAll(context.Background(), settings(), "shop", scopes.Client)
	wantCode(t, err, scopes.EUnsupported)
	if deleted, err := eng.Clean(context.Background()); err != nil || len(deleted) != 0 {
		t.Errorf("clean: %v, %v", deleted, err)
	}
}

func TestSessionRefused(t *testing.T) {
	eng, _ := MustOpenEngine(t, secret(1))
	set := scopes.Resolve(nil, scopes.Layer{scopes.SessionStorage: {Value: scopes.StorageCookie, By: scopes.FromApp}}).Settings
	_, err := eng.Create(context.Background(), set, "shop", scopes.Session, nil)
	wantCode(t, err, scopes.EInvalidSettings)
	err = set.Validate(func(scopes.Kind) []string { return []string{"memory", "file", "cookie"} })
	wantCode(t, err, scopes.EInvalidSettings)
	if !strings.Contains(scopes.ErrorMessage(err), "client scope only") {
		t.Errorf("message %q", scopes.ErrorMessage(err))
	}
}

func TestNewRing(t *testing.T) {
	if _, err := cookie.NewRing(); err == nil {
		t.Error("no secret accepted")
	}
	if _, err := cookie.NewRing(make([]byte, 16)); err == nil {
		t.Error("a 16-byte secret accepted")
	}
}

func TestPeekUnsupported(t *testing.T) {
	eng, _ := MustOpenEngine(t, secret(1))
	key, token := create(t, eng, "shop", `{}`)
	_, err := op(token, func(ctx context.Context) error {
		_, err := eng.Peek(ctx, settings(), key)
		return err
	})
	wantCode(t, err, scopes.EUnsupported)
}
