package scopes

import (
	"context"
	"strings"
	"testing"
	"time"
)

// usesOf returns the uses of the key with this hash that the directory wrote.
func (c *keyConfig) usesOf(hash string) []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.used[hash]...)
}

func TestKeyUseIsWrittenOnceAMinute(t *testing.T) {
	for _, ttl := range []time.Duration{DefaultCacheTTL, 0} {
		t.Run("cache "+ttl.String(), func(t *testing.T) {
			cfg := newKeyConfig()
			d, now := newMissDirectory(cfg)
			d.CacheTTL = ttl
			key, hash := NewAPIKey()
			other, otherHash := NewAPIKey()
			cfg.add(hash, "shop")
			cfg.add(otherHash, "shop")
			start := *now
			auth := func(k string) {
				t.Helper()
				if app, err := d.Authenticate(context.Background(), k); err != nil || app != "shop" {
					t.Fatalf("Authenticate = %q, %v", app, err)
				}
			}
			for range 100 {
				auth(key)
				*now = now.Add(500 * time.Millisecond)
			}
			// 50 s of requests: one write.
			d.WaitKeyUses()
			if got := cfg.usesOf(hash); len(got) != 1 || !got[0].Equal(start) {
				t.Fatalf("after 100 requests in 50 s: uses written %v, want one at %v", got, start)
			}
			auth(other)
			*now = start.Add(KeyUseInterval)
			auth(key)
			d.WaitKeyUses()
			if got := cfg.usesOf(hash); len(got) != 2 || !got[1].Equal(start.Add(KeyUseInterval)) {
				t.Errorf("a minute later: uses written %v, want a second one", got)
			}
			if got := cfg.usesOf(otherHash); len(got) != 1 {
				t.Errorf("another key's uses %v, want its own one", got)
			}
		})
	}
}

func TestUnknownKeyIsNoUse(t *testing.T) {
	cfg := newKeyConfig()
	d, _ := newMissDirectory(cfg)
	key, hash := NewAPIKey()
	_, _ = d.Authenticate(context.Background(), key)
	d.WaitKeyUses()
	if got := cfg.usesOf(hash); len(got) != 0 {
		t.Errorf("an unknown key's use was written: %v", got)
	}
}

func TestValidateKeyLabel(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"  deploy 2026-12  ", "deploy 2026-12", true},
		{"clé — prod", "clé — prod", true},
		{strings.Repeat("é", MaxKeyLabel), strings.Repeat("é", MaxKeyLabel), true},
		{strings.Repeat("a", MaxKeyLabel+1), "", false},
		{"two\nlines", "", false},
		{"bad \xff utf-8", "", false},
	} {
		got, err := ValidateKeyLabel(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ValidateKeyLabel(%q) = %q, %v; want %q, ok %v", c.in, got, err, c.want, c.ok)
		}
		if err != nil && ErrorCode(err) != EInvalid {
			t.Errorf("ValidateKeyLabel(%q): code %q", c.in, ErrorCode(err))
		}
	}
}
