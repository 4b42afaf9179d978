package cookie

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"sync"

	"github.com/scopestore/scopestore/scopes"
)

// A token is, in unpadded URL-safe Base64 (cookie-safe as it is):
//
//	format (1 byte) | key id (4) | nonce (24) | sealed envelope + tag (16)
//
// The envelope is the record as scopes.EncodeRecord writes it for every
// storage. The first 5 bytes are part of the additional data too, so that
// neither the format nor the key id can be changed.
const (
	tokenFormat = 1
	headerSize  = 1 + keyIDSize
	nonceSize   = 24 // chacha20poly1305.NonceSizeX
	tagSize     = 16
)

// encoding is strict: a token whose last character was changed in bits
// that Base64 ignores is refused, not read as the original.
var encoding = base64.RawURLEncoding.Strict()

// aad is the additional data of key's token: the header, then what the
// token belongs to, so that it opens for that app's client scope of that
// cfid only. The app name is length-prefixed: no name can run into the cfid.
func aad(dst []byte, header []byte, key scopes.Key) []byte {
	dst = append(dst, header...)
	dst = append(dst, "scopestore client scope token\x00"...)
	dst = binary.AppendUvarint(dst, uint64(len(key.App)))
	dst = append(dst, key.App...)
	dst = append(dst, key.Kind...)
	dst = append(dst, 0)
	return append(dst, key.CFID...)
}

// sealBufs hold the binary token while it is encoded: every load and save
// seals one, so the buffer serves the next rather than the GC.
var sealBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8192); return &b }}

// seal returns rec's token under the ring's newest key.
func (r *Ring) seal(rec scopes.Record) string {
	k := &r.keys[0]
	plain := scopes.EncodeRecord(rec)
	bp := sealBufs.Get().(*[]byte)
	raw := append((*bp)[:0], tokenFormat)
	raw = append(raw, k.id[:]...)
	raw = raw[:headerSize+nonceSize]
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+).
	_, _ = rand.Read(raw[headerSize:])
	var ad [128]byte
	raw = k.aead.Seal(raw, raw[headerSize:], plain, aad(ad[:0], raw[:headerSize], rec.Key))
	// Encoded after the binary token in the same buffer: one allocation,
	// the string's.
	n := len(raw)
	raw = encoding.AppendEncode(raw, raw)
	token := string(raw[n:])
	if cap(raw) <= 64<<10 {
		*bp = raw[:0]
		sealBufs.Put(bp)
	}
	return token
}

// open returns the record sealed in token for key; ok is false for
// anything that is not a token of key sealed by a key of the ring: bad
// Base64, a changed byte, another app's or cfid's token, a key the ring no
// longer holds.
func (r *Ring) open(key scopes.Key, token string) (rec scopes.Record, ok bool) {
	if len(token) > scopes.MaxCookieToken || len(token) < encoding.EncodedLen(headerSize+nonceSize+tagSize) {
		return scopes.Record{}, false
	}
	raw, err := encoding.DecodeString(token)
	if err != nil || raw[0] != tokenFormat {
		return scopes.Record{}, false
	}
	var ad [128]byte
	header, nonce, sealed := raw[:headerSize], raw[headerSize:headerSize+nonceSize], raw[headerSize+nonceSize:]
	additional := aad(ad[:0], header, key)
	var plain []byte
	r.opening(header[1:], func(aead cipher.AEAD) bool {
		// In place: the record's data is a slice of this buffer, made
		// for this token alone. A failed Open leaves it as it was, for the
		// next key to try.
		p, err := aead.Open(sealed[:0], nonce, sealed, additional)
		if err != nil {
			return true
		}
		plain, ok = p, true
		return false
	})
	if !ok {
		return scopes.Record{}, false
	}
	rec, err = scopes.DecodeSealedRecord(key, plain)
	if err != nil {
		// Sealed by scopestore but not readable by this version: as good
		// as no token.
		return scopes.Record{}, false
	}
	return rec, true
}
