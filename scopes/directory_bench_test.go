package scopes_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// benchKeyConfig is a config store that knows one API key; it embeds the
// interface so that only AppForKey and KeyUsed, all that Authenticate
// calls, need a body.
type benchKeyConfig struct {
	scopes.ConfigStore
	hash  string
	reads atomic.Int64
}

// KeyUsed records nothing: the benchmark measures the check, whose once a
// minute write runs in the background.
func (c *benchKeyConfig) KeyUsed(context.Context, string, time.Time) error { return nil }

func (c *benchKeyConfig) AppForKey(_ context.Context, hash string) (string, bool, error) {
	c.reads.Add(1)
	return "shop", hash == c.hash, nil
}

// BenchmarkDirectoryAuthenticate is the API key check of every request with
// the directory's cache on (its default TTL): a SHA-256 of the key and a map
// lookup under a mutex, no config read.
func BenchmarkDirectoryAuthenticate(b *testing.B) {
	key, hash := scopes.NewAPIKey()
	cfg := &benchKeyConfig{hash: hash}
	d := scopes.NewDirectory(cfg, nil)
	ctx := context.Background()
	if _, err := d.Authenticate(ctx, key); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.Authenticate(ctx, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := d.Authenticate(ctx, key); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	if n := cfg.reads.Load(); n > 1 {
		b.Logf("%d config reads: the cache expired during the run", n)
	}
}
