package scopes

// DecodeSealedRecord is DecodeRecord for an envelope that scopestore wrote
// with EncodeRecord and that came back authenticated, as a client scope's
// cookie token does once its AEAD opened it: the data was checked when it
// was encoded and cannot have changed since, so it is neither scanned again
// nor copied, which is most of a token's reading time. b must not change
// afterwards: the record's data is a slice of it.
func DecodeSealedRecord(key Key, b []byte) (Record, error) {
	if rec, ok := parseExact(key, b, nil, true); ok {
		return rec, nil
	}
	// parseExact refused the envelope's form, as DecodeRecord's would.
	return decodeEnvelope(key, b)
}
