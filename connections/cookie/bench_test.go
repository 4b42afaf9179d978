package cookie_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

// BenchmarkCycle is the engine's side of the cookie scenario: a load with
// the token, then a save of 2 KiB with the token it answered.
func BenchmarkCycle(b *testing.B) {
	eng, _ := MustOpenEngine(b, secret(1))
	data := json.RawMessage(`{"x":"` + strings.Repeat("a", 2040) + `"}`)
	var sc *scopes.Scope
	token, err := op("", func(ctx context.Context) (err error) {
		sc, err = eng.Create(ctx, settings(), "shop", scopes.Client, data)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	key := scopes.Key{App: "shop", Kind: scopes.Client, CFID: sc.CFID}
	b.ReportAllocs()
	for b.Loop() {
		token, err = op(token, func(ctx context.Context) error {
			_, err := eng.Load(ctx, settings(), key)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		token, err = op(token, func(ctx context.Context) error {
			_, err := eng.Save(ctx, settings(), key, data)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
