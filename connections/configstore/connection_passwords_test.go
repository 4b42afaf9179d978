package configstore

import (
	"context"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// moveURLPassword stands in for connections.StoredPassword: it moves
// "pw=…" at the end of a url param to the secret.
func moveURLPassword(c scopes.Connection) (scopes.Connection, bool) {
	before, pw, ok := strings.Cut(c.Params["url"], "?pw=")
	if !ok {
		return c, false
	}
	params := map[string]string{}
	for k, v := range c.Params {
		params[k] = v
	}
	params["url"] = before
	c.Params, c.Secret = params, pw
	return c, true
}

// MovePasswords seals the passwords left in rows' params, once, on every
// dialect; rows without one, and their secrets, stay as they are.
func TestMovePasswords(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := mustOpen(t, b.dsn(t), t.TempDir(), testKey)
			ctx := context.Background()
			rows := []scopes.Connection{
				{Name: "Old1", Kind: "cache", Type: "redis", Params: map[string]string{"url": "redis://h/0?pw=Secret-1"}},
				{Name: "old2", Kind: "cache", Type: "redis", Params: map[string]string{"url": "redis://h/1?pw=Secret-2", "prefix": "p:"}},
				{Name: "kept", Kind: "cache", Type: "redis", Params: map[string]string{"url": "redis://h/2"}, Secret: "Secret-3"},
			}
			for _, c := range rows {
				must(t, "create "+c.Name, s.CreateConnection(ctx, c))
			}
			n, err := s.MovePasswords(ctx, moveURLPassword)
			if err != nil || n != 2 {
				t.Fatalf("MovePasswords moved %d: %v", n, err)
			}
			for name, want := range map[string][2]string{"old1": {"redis://h/0", "Secret-1"}, "old2": {"redis://h/1", "Secret-2"}, "kept": {"redis://h/2", "Secret-3"}} {
				c, _, err := s.Connection(ctx, name)
				if err != nil || c.Params["url"] != want[0] || c.Secret != want[1] {
					t.Errorf("%s: url %q, secret %q, %v", name, c.Params["url"], c.Secret, err)
				}
			}
			if c, _, _ := s.Connection(ctx, "old2"); c.Params["prefix"] != "p:" {
				t.Errorf("old2 lost its other params: %v", c.Params)
			}
			if n, err := s.MovePasswords(ctx, moveURLPassword); err != nil || n != 0 {
				t.Errorf("MovePasswords again moved %d: %v", n, err)
			}
			// Without a secret key the password cannot be sealed: the row
			// stays, and the error says what to set.
			must(t, "create old3", s.CreateConnection(ctx, scopes.Connection{Name: "old3", Kind: "cache", Type: "redis",
				Params: map[string]string{"url": "redis://h/3?pw=Secret-4"}}))
			s.secrets = nil
			n, err = s.MovePasswords(ctx, moveURLPassword)
			if n != 0 || !strings.Contains(scopes.ErrorMessage(err), "SCOPESTORE_SECRET_KEY") {
				t.Errorf("without a key: moved %d: %v", n, err)
			}
		})
	}
}
