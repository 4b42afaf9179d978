package scopes

import (
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
	b = append(b, `,"cftoken":`...)
	b = strconv.AppendQuote(b, r.CFToken)
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
	b = append(b, `,"data":`...)
	if len(r.Data) == 0 {
		b = append(b, "{}"...)
	} else {
		b = append(b, r.Data...)
	}
	return append(b, '}')
}

type envelope struct {
	V           int             `json:"v"`
	CFToken     string          `json:"cftoken"`
	TimeCreated int64           `json:"timecreated"`
	LastVisit   int64           `json:"lastvisit"`
	HitCount    int64           `json:"hitcount"`
	Expires     int64           `json:"expires"`
	Version     int64           `json:"version"`
	Data        json.RawMessage `json:"data"`
}

// DecodeRecord reads an envelope written by EncodeRecord. A value in any
// other format (a row written by Lucee, say) is an *Error with code ECorrupt
// that names the scope, so that one bad value never breaks the others.
func DecodeRecord(key Key, b []byte) (Record, error) {
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil || e.V != envelopeVersion || len(e.Data) == 0 || e.Data[0] != '{' {
		return Record{}, &Error{Code: ECorrupt, Err: err,
			Message: "the stored " + string(key.Kind) + " scope " + key.CFID + " of app " + key.App +
				" is not in scopestore's format (written by another program?); delete it to start afresh"}
	}
	return Record{
		Key:         key,
		CFToken:     e.CFToken,
		TimeCreated: time.UnixMilli(e.TimeCreated),
		LastVisit:   time.UnixMilli(e.LastVisit),
		HitCount:    e.HitCount,
		Expires:     time.UnixMilli(e.Expires),
		Version:     e.Version,
		Data:        e.Data,
	}, nil
}
