package scopes

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// envelopeVersion is the format version written as "v" in every stored value.
const envelopeVersion = 1

// EncodeRecord returns the versioned JSON envelope in which stores keep a
// record's built-ins and data; the key is kept by the store beside it.
func EncodeRecord(r Record) []byte {
	b := make([]byte, 0, len(r.Data)+160)
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, envelopeVersion, 10)
	b = append(b, `,"rev":`...)
	// JSON strings, not strconv's Go quoting: the two differ on control
	// characters ("\a", "\x01"), invalid UTF-8 and U+2028, and a Go
	// escape is no JSON, which DecodeRecord would then refuse as corrupt.
	b = appendJSONString(b, r.Rev)
	b = append(b, `,"cftoken":`...)
	b = appendJSONString(b, r.CFToken)
	b = append(b, `,"timecreated":`...)
	b = strconv.AppendInt(b, r.TimeCreated.UnixMilli(), 10)
	b = append(b, `,"lastvisit":`...)
	b = strconv.AppendInt(b, r.LastVisit.UnixMilli(), 10)
	b = append(b, `,"hitcount":`...)
	b = strconv.AppendInt(b, r.HitCount, 10)
	b = append(b, `,"expires":`...)
	b = strconv.AppendInt(b, r.Expires.UnixMilli(), 10)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, r.Version, 10)
	if r.RotatedTo != "" {
		// Before "data", where the stores' fast paths (parseExact, the
		// Redis scripts) expect it: a rotated record takes the slow ones,
		// which refuse to change it.
		b = append(b, `,"rotatedto":`...)
		b = appendJSONString(b, r.RotatedTo)
	}
	if r.Fence > 0 {
		// Before "data" too: a fenced record takes the slow paths, which
		// keep the fence; the fast ones would drop it.
		b = append(b, `,"fence":`...)
		b = strconv.AppendInt(b, r.Fence, 10)
	}
	b = append(b, `,"data":`...)
	// Whitespace around the data is left out: encoding/json, which reads
	// the envelopes that the fast paths do not, would drop it, and a value
	// must read back the same whichever path reads it.
	if data := bytes.Trim(r.Data, jsonSpace); len(data) == 0 {
		b = append(b, "{}"...)
	} else {
		b = append(b, data...)
	}
	return append(b, '}')
}

// jsonSpace is the whitespace JSON allows between tokens.
const jsonSpace = " \t\r\n"

type envelope struct {
	V           int             `json:"v"`
	Rev         string          `json:"rev"`
	CFToken     string          `json:"cftoken"`
	TimeCreated int64           `json:"timecreated"`
	LastVisit   int64           `json:"lastvisit"`
	HitCount    int64           `json:"hitcount"`
	Expires     int64           `json:"expires"`
	Version     int64           `json:"version"`
	RotatedTo   string          `json:"rotatedto"`
	Fence       int64           `json:"fence"`
	Data        json.RawMessage `json:"data"`
}

// DecodeRecord reads an envelope written by EncodeRecord. A value in any
// other format (a row written by Lucee, say) is an *Error with code ECorrupt
// that names the scope, so that one bad value never breaks the others.
func DecodeRecord(key Key, b []byte) (Record, error) { return DecodeRecordKnown(key, b, nil) }

// decodeEnvelope reads with encoding/json an envelope that parseExact did
// not take: one written by an earlier scopestore, or not one at all.
func decodeEnvelope(key Key, b []byte) (Record, error) {
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil || e.V != envelopeVersion || len(e.Data) == 0 || e.Data[0] != '{' {
		return Record{}, &Error{Code: ECorrupt, Err: err,
			Message: "the stored " + string(key.Kind) + " scope " + key.CFID + " of app " + key.App +
				" is not in scopestore's format (written by another program?); delete it to start afresh"}
	}
	if e.Rev == "" {
		e.Rev = LegacyRev(e.Version)
	}
	return Record{
		Key:         key,
		Rev:         e.Rev,
		CFToken:     e.CFToken,
		TimeCreated: time.UnixMilli(e.TimeCreated),
		LastVisit:   time.UnixMilli(e.LastVisit),
		HitCount:    e.HitCount,
		Expires:     time.UnixMilli(e.Expires),
		Version:     e.Version,
		Data:        e.Data,
		RotatedTo:   e.RotatedTo,
		Fence:       e.Fence,
	}, nil
}

// DecodeRecordKnown is DecodeRecord for a caller that holds data it checked
// before, known (the data of its copy of the record): stored data that is
// the same bytes is neither scanned again nor copied, and the record
// shares known. Anything else is read as DecodeRecord reads it (DecodeRecord
// is this with no known data).
func DecodeRecordKnown(key Key, b []byte, known json.RawMessage) (Record, error) {
	if rec, ok := parseExact(key, b, known, false); ok {
		return rec, nil
	}
	return decodeEnvelope(key, b)
}

// parseExact reads an envelope in exactly the form EncodeRecord writes it,
// with one scan of the data (ValidJSON) where json.Unmarshal makes two and
// copies; ok is false for anything else, which decodeEnvelope then reads
// with encoding/json. Data equal to known, or sealed, skips the scan and
// the copy of the data (see DecodeRecordKnown and DecodeSealedRecord).
func parseExact(key Key, b []byte, known json.RawMessage, sealed bool) (rec Record, ok bool) {
	p := envParser{b: b}
	if !p.lit(`{"v":1,"rev":`) {
		return rec, false
	}
	rev, ok := p.str()
	if !ok || rev == "" || !p.lit(`,"cftoken":`) {
		return rec, false
	}
	cftoken, ok := p.str()
	var tc, lv, hc, ex, ver int64
	ok = ok && p.lit(`,"timecreated":`) && p.int(&tc) &&
		p.lit(`,"lastvisit":`) && p.int(&lv) &&
		p.lit(`,"hitcount":`) && p.int(&hc) &&
		p.lit(`,"expires":`) && p.int(&ex) &&
		p.lit(`,"version":`) && p.int(&ver) &&
		p.lit(`,"data":`)
	if !ok || len(b) < p.i+3 || b[p.i] != '{' || b[len(b)-1] != '}' {
		return rec, false
	}
	data := bytes.Trim(b[p.i:len(b)-1], jsonSpace)
	switch {
	case sealed:
		// Sealed data was checked when it was encoded, and authenticated
		// since: it is kept in place.
	case len(known) > 0 && bytes.Equal(data, known):
		// The same bytes as data checked before are the same valid JSON.
		data = known
	default:
		if !ValidJSON(data) {
			return rec, false
		}
		data = append(json.RawMessage(nil), data...)
	}
	return Record{
		Key:         key,
		Rev:         rev,
		CFToken:     cftoken,
		TimeCreated: time.UnixMilli(tc),
		LastVisit:   time.UnixMilli(lv),
		HitCount:    hc,
		Expires:     time.UnixMilli(ex),
		Version:     ver,
		Data:        data,
	}, true
}

type envParser struct {
	b []byte
	i int
}

func (p *envParser) lit(s string) bool {
	if !bytes.HasPrefix(p.b[p.i:], []byte(s)) {
		return false
	}
	p.i += len(s)
	return true
}

// str reads a quoted string without escapes.
func (p *envParser) str() (string, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	end := bytes.IndexByte(p.b[p.i+1:], '"')
	if end < 0 {
		return "", false
	}
	s := p.b[p.i+1 : p.i+1+end]
	if bytes.IndexByte(s, '\\') >= 0 {
		return "", false
	}
	p.i += end + 2
	return string(s), true
}

func (p *envParser) int(v *int64) bool {
	j := p.i
	if j < len(p.b) && p.b[j] == '-' {
		j++
	}
	for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(p.b[p.i:j]), 10, 64)
	if err != nil {
		return false
	}
	*v, p.i = n, j
	return true
}
