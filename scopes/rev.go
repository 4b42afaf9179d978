package scopes

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
)

// NewRev returns a new write id for Record.Rev: 96 random bits from
// crypto/rand in 16 URL-safe base64 characters, which need no escaping in
// JSON, SQL or a Lua pattern.
func NewRev() string {
	var b [12]byte
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+).
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// LegacyRev is the Rev of a record stored before records had one: it is
// derived from the version, which every store can read back the same way.
func LegacyRev(version int64) string { return "legacy-" + strconv.FormatInt(version, 10) }
