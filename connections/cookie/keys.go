// Package cookie is the cookie storage of the client scope, as in Railo and
// ColdFusion: scopestore keeps nothing, and the whole record (data,
// version, rev, times, expiry) travels in a sealed token that the app keeps
// in a cookie and sends back in the Scope-Token header. The engine hands the
// token in and out through scopes.ScopeToken in the request's context.
//
// A token is XChaCha20-Poly1305 (random 192-bit nonces: no limit on how many
// tokens one key seals) under a key derived with HKDF-SHA256 from
// scopestore's secret key. The app name, the scope kind and the cfid are
// additional data, so that a token of one app or visitor never opens for
// another. Each token names the key that sealed it by an id derived from
// it: the newest key seals, and older ones (--previous-secret-keys) still
// open the tokens they sealed until those expire.
package cookie

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// The HKDF info strings: each names the purpose of what it derives, so
// that the secret key's other uses (connection passwords) never share a key
// with tokens.
const (
	infoKey   = "scopestore client scope cookie token v1: XChaCha20-Poly1305 key"
	infoKeyID = "scopestore client scope cookie token v1: key id"
)

// keyIDSize is the length of the id by which a token names its key.
const keyIDSize = 4

// Ring holds the keys that seal and open tokens: the first seals, and each
// opens the tokens it sealed, so that rotating the secret key keeps the
// tokens already handed out opening until they expire.
type Ring struct {
	keys []ringKey
}

type ringKey struct {
	id   [keyIDSize]byte
	aead cipher.AEAD
}

// NewRing derives the token keys from secret keys, newest first: the
// first seals every new token, the others only open. Each secret must be
// at least 32 bytes (scopestore's secret key is exactly 32).
func NewRing(secrets ...[]byte) (*Ring, error) {
	if len(secrets) == 0 {
		return nil, errors.New("cookie: no secret key to derive the token keys from")
	}
	r := &Ring{}
	for i, secret := range secrets {
		if len(secret) < 32 {
			return nil, fmt.Errorf("cookie: secret key %d is %d bytes long; it must be at least 32", i+1, len(secret))
		}
		key, err := hkdf.Key(sha256.New, secret, nil, infoKey, chacha20poly1305.KeySize)
		if err != nil {
			return nil, fmt.Errorf("cookie: derive the token key: %w", err)
		}
		id, err := hkdf.Key(sha256.New, secret, nil, infoKeyID, keyIDSize)
		if err != nil {
			return nil, fmt.Errorf("cookie: derive the token key id: %w", err)
		}
		aead, err := chacha20poly1305.NewX(key)
		if err != nil {
			return nil, fmt.Errorf("cookie: token key: %w", err)
		}
		k := ringKey{aead: aead}
		copy(k.id[:], id)
		r.keys = append(r.keys, k)
	}
	return r, nil
}

// opening returns the keys whose id is id: almost always one, but two
// secrets may share a 32-bit id, and then each is tried.
func (r *Ring) opening(id []byte, yield func(cipher.AEAD) bool) {
	for i := range r.keys {
		if bytes.Equal(r.keys[i].id[:], id) && !yield(r.keys[i].aead) {
			return
		}
	}
}
