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
}

// newSecretBox returns the box for key, or nil for an empty key: a store
// without a key works until a connection has a password.
func newSecretBox(key []byte) (*secretBox, error) {
	if len(key) == 0 {
		return nil, nil
	}
	if len(key) != SecretKeySize {
		return nil, fmt.Errorf("configstore: the secret key is %d bytes long; it must be %d bytes (AES-256)", len(key), SecretKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("configstore: secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("configstore: secret key: %w", err)
	}
	return &secretBox{aead: aead}, nil
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

// open decrypts a password sealed by seal for the connection named name.
func (b *secretBox) open(name, nameKey string, sealed []byte) (string, error) {
	if b == nil {
		return "", scopes.Errorf(scopes.EInternal,
			"the password of connection %q cannot be read: no secret key is set (set SCOPESTORE_SECRET_KEY to the key that encrypted it)", name)
	}
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return "", scopes.Errorf(scopes.ECorrupt, "the stored password of connection %q is damaged; delete the connection and create it again", name)
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(nameKey))
	if err != nil {
		return "", &scopes.Error{Code: scopes.EInternal, Err: err, Message: fmt.Sprintf(
			"the password of connection %q cannot be decrypted: the secret key (SCOPESTORE_SECRET_KEY) differs "+
				"from the one that encrypted it; restore that key, or delete the connection and create it again with its password", name)}
	}
	return string(plain), nil
}
