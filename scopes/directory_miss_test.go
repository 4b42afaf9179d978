package scopes

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// keyConfig is a config store that knows API keys by hash and counts the
// lookups; it embeds the interface so that only what the tests call needs a
// body.
type keyConfig struct {
	ConfigStore
	mu      sync.Mutex
	keys    map[string]string // hash → app
	lookups int
	// during, when set, runs inside the next lookup, after the store read.
	during func()
	// used holds the uses KeyUsed recorded, by hash.
	used map[string][]time.Time
}

func (c *keyConfig) KeyUsed(_ context.Context, hash string, at time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.used == nil {
		c.used = map[string][]time.Time{}
	}
	c.used[hash] = append(c.used[hash], at)
	return nil
}

func newKeyConfig() *keyConfig { return &keyConfig{keys: map[string]string{}} }

func (c *keyConfig) AppForKey(_ context.Context, hash string) (string, bool, error) {
	c.mu.Lock()
	c.lookups++
	app, found := c.keys[hash]
	during := c.during
	c.during = nil
	c.mu.Unlock()
	if during != nil {
		during()
	}
	return app, found, nil
}

func (c *keyConfig) CreateApp(_ context.Context, name, hash string, _ time.Time) error {
	c.add(hash, name)
	return nil
}

// add stores a key as another instance, or the command line, would.
func (c *keyConfig) add(hash, app string) {
	c.mu.Lock()
	c.keys[hash] = app
	c.mu.Unlock()
}

func (c *keyConfig) reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lookups
}

// newMissDirectory is a Directory with the default cache TTL over cfg, on
// a clock the test moves.
func newMissDirectory(cfg *keyConfig) (*Directory, *time.Time) {
	d := NewDirectory(cfg, nil)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }
	return d, &now
}

func TestUnknownKeyCostsOneConfigRead(t *testing.T) {
	cfg := newKeyConfig()
	d, _ := newMissDirectory(cfg)
	key, _ := NewAPIKey()
	for i := range 10 {
		if _, err := d.Authenticate(context.Background(), key); ErrorCode(err) != EUnauthorized {
			t.Fatalf("attempt %d: %v, want unauthorized", i, err)
		}
	}
	if n := cfg.reads(); n != 1 {
		t.Errorf("10 requests with one unknown key read the config store %d times, want 1", n)
	}
}

func TestUnknownKeyNotCachedWithCacheOff(t *testing.T) {
	cfg := newKeyConfig()
	d, _ := newMissDirectory(cfg)
	d.CacheTTL = 0
	key, _ := NewAPIKey()
	for range 3 {
		_, _ = d.Authenticate(context.Background(), key)
	}
	if n := cfg.reads(); n != 3 {
		t.Errorf("with CacheTTL 0, 3 requests read the config store %d times, want 3", n)
	}
}

func TestMissForgottenByChangeThroughDirectory(t *testing.T) {
	ctx := context.Background()
	cfg := newKeyConfig()
	d, _ := newMissDirectory(cfg)
	key, hash := NewAPIKey()
	if _, err := d.Authenticate(ctx, key); ErrorCode(err) != EUnauthorized {
		t.Fatalf("unknown key: %v", err)
	}
	// The key appears in the store, then an app is created here: every
	// change through this directory empties its cache, misses included.
	cfg.add(hash, "shop")
	if _, err := d.CreateApp(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	if app, err := d.Authenticate(ctx, key); err != nil || app != "shop" {
		t.Errorf("after a change here, the key → %q, %v; want shop at once", app, err)
	}
	// A key created through this directory works at once too.
	newKey, err := d.CreateApp(ctx, "cart")
	if err != nil {
		t.Fatal(err)
	}
	if app, err := d.Authenticate(ctx, newKey); err != nil || app != "cart" {
		t.Errorf("a new key → %q, %v; want cart", app, err)
	}
}

func TestMissOfAnotherInstancesKeyExpires(t *testing.T) {
	ctx := context.Background()
	cfg := newKeyConfig()
	d, now := newMissDirectory(cfg)
	key, hash := NewAPIKey()
	_, _ = d.Authenticate(ctx, key)
	cfg.add(hash, "shop") // created by another instance: this one is not told
	if _, err := d.Authenticate(ctx, key); ErrorCode(err) != EUnauthorized {
		t.Fatalf("within the miss's life the key → %v; want the remembered 401", err)
	}
	*now = now.Add(maxMissTTL)
	if app, err := d.Authenticate(ctx, key); err != nil || app != "shop" {
		t.Errorf("after %s the key → %q, %v; want shop", maxMissTTL, app, err)
	}
}

func TestMissReadBeforeAChangeIsNotKept(t *testing.T) {
	ctx := context.Background()
	cfg := newKeyConfig()
	d, _ := newMissDirectory(cfg)
	key, hash := NewAPIKey()
	// The key is created here while the lookup that misses it is on its way.
	cfg.during = func() {
		cfg.add(hash, "shop")
		d.forget()
	}
	if _, err := d.Authenticate(ctx, key); ErrorCode(err) != EUnauthorized {
		t.Fatalf("the racing lookup: %v", err)
	}
	if app, err := d.Authenticate(ctx, key); err != nil || app != "shop" {
		t.Errorf("the miss read before the change was kept: %q, %v", app, err)
	}
}

func TestMissesAreBounded(t *testing.T) {
	cfg := newKeyConfig()
	d, _ := newMissDirectory(cfg)
	for i := range maxMisses + 100 {
		_, _ = d.Authenticate(context.Background(), fmt.Sprintf("ss_unknown_%d", i))
	}
	d.mu.Lock()
	n := len(d.misses)
	d.mu.Unlock()
	if n > maxMisses {
		t.Errorf("%d misses kept, want at most %d", n, maxMisses)
	}
}
