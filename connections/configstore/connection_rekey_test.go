package configstore

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// A secret key rotated with the old one among the previous keys: every
// password still opens; Rekey seals again with the new key those that only
// the old one opened, once; then the old key can go.
func TestRekey(t *testing.T) {
	oldKey, newKey, otherKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dsn, dir := b.dsn(t), t.TempDir()
			old := mustOpen(t, dsn, dir, oldKey)
			for _, c := range []scopes.Connection{
				{Name: "Cache", Kind: "cache", Type: "redis", Params: map[string]string{"url": "redis://h/0"}, Secret: "pw-1"},
				{Name: "db", Kind: "datasource", Type: "mysql", Params: map[string]string{"dsn": "u@tcp(h)/d"}, Secret: "pw-2"},
				{Name: "open", Kind: "cache", Type: "redis", Params: map[string]string{"url": "redis://h/1"}},
			} {
				must(t, "create "+c.Name, old.CreateConnection(ctx, c))
			}

			// The new key alone cannot read them, and says what to do.
			alone := mustOpen(t, dsn, dir, newKey)
			if _, _, err := alone.Connection(ctx, "cache"); err == nil || !bytes.Contains([]byte(scopes.ErrorMessage(err)), []byte("SCOPESTORE_PREVIOUS_SECRET_KEYS")) {
				t.Fatalf("a password under another key: %v", err)
			}

			// One password under a key nobody gives any more: Rekey reports
			// it and still does the others.
			lost := mustOpen(t, dsn, dir, bytes.Repeat([]byte{4}, 32))
			must(t, "create lost", lost.CreateConnection(ctx, scopes.Connection{Name: "lost", Kind: "cache", Type: "redis",
				Params: map[string]string{"url": "redis://h/3"}, Secret: "pw-4"}))

			rotated := mustOpen(t, dsn, dir, newKey, otherKey, oldKey)
			// A password written now is sealed with the new key.
			must(t, "create fresh", rotated.CreateConnection(ctx, scopes.Connection{Name: "fresh", Kind: "cache", Type: "redis",
				Params: map[string]string{"url": "redis://h/2"}, Secret: "pw-3"}))
			for name, want := range map[string]string{"cache": "pw-1", "db": "pw-2", "fresh": "pw-3"} {
				if c, _, err := rotated.Connection(ctx, name); err != nil || c.Secret != want {
					t.Fatalf("%s under the previous key: %q, %v", name, c.Secret, err)
				}
			}
			names, err := rotated.Rekey(ctx)
			if !slices.Equal(names, []string{"Cache", "db"}) && !slices.Equal(names, []string{"db", "Cache"}) {
				t.Fatalf("Rekey: %v, %v; want Cache and db", names, err)
			}
			if err == nil || !strings.Contains(scopes.ErrorMessage(err), `"lost"`) || scopes.ErrorCode(err) != scopes.EInvalidSettings {
				t.Fatalf("Rekey with a password no key opens: %v; want invalid_settings naming it", err)
			}
			if names, err := rotated.Rekey(ctx); len(names) != 0 || err == nil {
				t.Fatalf("Rekey again: %v, %v", names, err)
			}
			if _, err := rotated.DeleteConnection(ctx, "lost"); err != nil {
				t.Fatal(err)
			}
			if names, err := rotated.Rekey(ctx); err != nil || len(names) != 0 {
				t.Fatalf("Rekey once the lost one is gone: %v, %v", names, err)
			}
			// The old key is no longer needed.
			for name, want := range map[string]string{"cache": "pw-1", "db": "pw-2", "fresh": "pw-3"} {
				if c, _, err := alone.Connection(ctx, name); err != nil || c.Secret != want {
					t.Fatalf("%s after Rekey, under the new key alone: %q, %v", name, c.Secret, err)
				}
			}
		})
	}
}
