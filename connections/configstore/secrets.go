package configstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"

	"github.com/scopestore/scopestore/scopes"
)

// SecretKeySize is the length of the key that encrypts connection passwords:
// 32 bytes, for AES-256.
const SecretKeySize = 32

// secretBox encrypts connection passwords with AES-256-GCM. A sealed secret
// is the random 12-byte nonce followed by the ciphertext and its tag.
type secretBox struct {
	aead cipher.AEAD
	// previous are the keys used before: they open what they sealed, never
	// seal, so that an operator rotates the key without losing passwords
	// (see Store.Rekey).
	previous []cipher.AEAD
}

// newSecretBox returns the box for key and the keys used before it, or nil
// for an empty key: a store without a key works until a connection has a
// password.
func newSecretBox(key []byte, previous ...[]byte) (*secretBox, error) {
	if len(key) == 0 {
		return nil, nil
	}
	aead, err := newAEAD(key, "the secret key")
	if err != nil {
		return nil, err
	}
	b := &secretBox{aead: aead}
	for i, k := range previous {
		p, err := newAEAD(k, fmt.Sprintf("previous secret key %d", i+1))
		if err != nil {
			return nil, err
		}
		b.previous = append(b.previous, p)
	}
	return b, nil
}

func newAEAD(key []byte, what string) (cipher.AEAD, error) {
	if len(key) != SecretKeySize {
		return nil, fmt.Errorf("configstore: %s is %d bytes long; it must be %d bytes (AES-256)", what, len(key), SecretKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("configstore: %s: %w", what, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("configstore: %s: %w", what, err)
	}
	return aead, nil
}

// seal encrypts the password of the connection whose name key is nameKey.
// The name key is the additional data, so that a sealed password copied onto
// another connection's row does not open there.
func (b *secretBox) seal(nameKey, secret string) ([]byte, error) {
	if b == nil {
		return nil, scopes.Errorf(scopes.EInvalid,
			"connection passwords cannot be stored: no secret key is set (set SCOPESTORE_SECRET_KEY)")
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(secret)+b.aead.Overhead())
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+).
	_, _ = rand.Read(nonce)
	return b.aead.Seal(nonce, nonce, []byte(secret), []byte(nameKey)), nil
}

// open decrypts a password sealed by seal for the connection named name,
// with the secret key or one used before it.
func (b *secretBox) open(name, nameKey string, sealed []byte) (string, error) {
	plain, _, err := b.openAny(name, nameKey, sealed)
	return plain, err
}

// openAny is open that also tells whether the current key sealed it.
func (b *secretBox) openAny(name, nameKey string, sealed []byte) (plain string, current bool, err error) {
	if b == nil {
		return "", false, scopes.Errorf(scopes.EInvalidSettings,
			"the password of connection %q cannot be read: no secret key is set (set SCOPESTORE_SECRET_KEY to the key that encrypted it)", name)
	}
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return "", false, scopes.Errorf(scopes.ECorrupt, "the stored password of connection %q is damaged; delete the connection and create it again", name)
	}
	p, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(nameKey))
	if err == nil {
		return string(p), true, nil
	}
	for _, prev := range b.previous {
		if p, perr := prev.Open(nil, sealed[:n], sealed[n:], []byte(nameKey)); perr == nil {
			return string(p), false, nil
		}
	}
	// Not EInternal, which callers report as an outage: trying again
	// does not help, the keys must change.
	return "", false, &scopes.Error{Code: scopes.EInvalidSettings, Err: err, Message: fmt.Sprintf(
		"the password of connection %q cannot be decrypted: neither the secret key (SCOPESTORE_SECRET_KEY) nor a previous one "+
			"(SCOPESTORE_PREVIOUS_SECRET_KEYS) encrypted it; add the key that did to the previous keys, or delete the connection and create it again with its password", name)}
}
