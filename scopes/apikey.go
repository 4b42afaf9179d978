package scopes

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
)

// apiKeyPrefix marks scopestore API keys so that secret scanners and people
// can recognize them.
const apiKeyPrefix = "ssk_"

// NewAPIKey returns a new random API key (256 bits) and the hash under which
// the config store keeps it; the key itself is never stored.
func NewAPIKey() (key, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	key = apiKeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return key, HashAPIKey(key)
}

// HashAPIKey returns the SHA-256 hex digest of key. A fast hash is right
// here: keys carry 256 random bits, so there is nothing to brute-force, and
// every API request checks one.
func HashAPIKey(key string) string {
	sum := keyDigest(key)
	return hex.EncodeToString(sum[:])
}

// keyDigest is the SHA-256 of an API key, HashAPIKey's digest, which the
// directory's cache is keyed by. The key's bytes are hashed from a buffer
// on the stack when they fit, as keys do, not from a new one.
func keyDigest(key string) [sha256.Size]byte {
	var buf [128]byte
	return sha256.Sum256(append(buf[:0], key...))
}

var appNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidateAppName checks an app name: 1 to 64 letters, digits, '_', '.' or
// '-', starting with a letter or digit, so that it fits in a URL path and in
// the sessionid built-in.
func ValidateAppName(name string) error {
	if !appNamePattern.MatchString(name) {
		return Errorf(EInvalid, "app name %q is invalid: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", name)
	}
	return nil
}
