package main

import (
	"strconv"
	"strings"

	"github.com/scopestore/scopestore/connections/cookie"
)

// cookieKeys returns the keys of the client scope's cookie tokens: derived
// from the secret key, which seals, and from --previous-secret-keys, which
// only open, so that an operator who rotates the secret key does not end
// every visitor's client scope at once.
func cookieKeys(key []byte, previous [][]byte) (*cookie.Ring, error) {
	return cookie.NewRing(append([][]byte{key}, previous...)...)
}

// previousKeys reads --previous-secret-keys: the secret keys used before
// --secret-key, which still open what they sealed (cookie tokens,
// connection passwords until `connection rekey`).
func previousKeys(cfg *Config) ([][]byte, error) {
	var keys [][]byte
	for i, s := range strings.Split(cfg.PreviousSecretKeys, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		k, err := decodeKey(s, "--previous-secret-keys (SCOPESTORE_PREVIOUS_SECRET_KEYS), key "+strconv.Itoa(i+1))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}
