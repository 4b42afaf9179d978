package web

import (
	"bytes"
	"encoding/json"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/scopestore/scopestore/scopes"
)

// decodeDataBody reads a {"data":{…}} body in two passes over its bytes:
// jsontext validates and compacts it in place, then members splits the
// compact object. encoding/json's decoder took three passes before the data
// could be stored compact, and its json.Compact, one pass, five times
// jsontext's time, was still a fifth of a save's CPU. Duplicate names pass,
// as they did with encoding/json. present is false
// when the body has no "data" member. body is compacted in place: it is
// the request's own buffer, and data is a part of it.
func decodeDataBody(body []byte) (data json.RawMessage, present bool, err error) {
	// The fast path: one pass over a compact body, two over one with
	// whitespace; anything it does not take (an error, an escaped name, a
	// member other than data) goes to the path below, which says why.
	compact, ok := scopes.CompactJSON(body, func(key, value []byte) bool {
		if string(key) != `"data"` || value[0] != '{' {
			return false
		}
		data, present = value, true
		return true
	})
	if ok && compact[0] == '{' {
		return data, present, nil
	}
	data, present = nil, false
	v := jsontext.Value(body)
	if err := v.Compact(strictText...); err != nil {
		return nil, false, scopes.Errorf(scopes.EInvalid, "the request body is not the JSON this endpoint takes: %s", jsonProblem(err))
	}
	compact = []byte(v)
	if compact[0] != '{' {
		return nil, false, scopes.Errorf(scopes.EInvalid, `the request body must be a JSON object like {"data":{…}}`)
	}
	err = members(compact, func(key, value []byte) error {
		if name, ok := memberName(key); !ok || name != "data" {
			return scopes.Errorf(scopes.EInvalid, "the request body is not the JSON this endpoint takes: unknown field %s", key)
		}
		if value[0] != '{' {
			return scopes.Errorf(scopes.EInvalid, "data must be a JSON object")
		}
		data, present = value, true
		return nil
	})
	return data, present, err
}

// strictText are the options with which jsontext checks a body as the fast
// path does: duplicate names pass, as they did with encoding/json, but
// invalid UTF-8 and unpaired surrogate escapes do not (jsontext's Compact
// lets them through by default), since MySQL and PostgreSQL refuse such
// text and memory, Redis and file would hand it back to other clients.
var strictText = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(false)}

// checkText refuses a body that encoding/json would take but the
// storages cannot hold: encoding/json keeps invalid UTF-8 as sent in a
// json.RawMessage (a PATCH's set value) and puts U+FFFD in its place in a
// string (a key), silently. The fast scan answers for almost every body;
// jsontext says what is wrong with the others.
func checkText(body []byte) error {
	if scopes.ValidJSON(body) {
		return nil
	}
	v := jsontext.Value(bytes.Clone(body))
	if err := v.Compact(strictText...); err != nil {
		return scopes.Errorf(scopes.EInvalid, "the request body is not the JSON this endpoint takes: %s", jsonProblem(err))
	}
	return nil // valid, but nested deeper than the fast scan follows
}

// memberName returns a member's name from its quoted key.
func memberName(key []byte) (string, bool) {
	if bytes.IndexByte(key, '\\') < 0 {
		return string(key[1 : len(key)-1]), true
	}
	var name string
	err := json.Unmarshal(key, &name)
	return name, err == nil
}

// members calls fn with the quoted key and the value of each member of a
// JSON object that json.Compact has validated and compacted: no whitespace,
// so a plain byte scan finds where each value ends.
func members(obj []byte, fn func(key, value []byte) error) error {
	i := 1
	if obj[i] == '}' {
		return nil
	}
	for {
		keyEnd := stringEnd(obj, i)
		key := obj[i:keyEnd]
		start := keyEnd + 1 // past the ':'
		end := valueEnd(obj, start)
		if err := fn(key, obj[start:end]); err != nil {
			return err
		}
		if obj[end] == '}' {
			return nil
		}
		i = end + 1 // past the ','
	}
}

// stringEnd returns the index just past the string that starts at b[i] == '"'.
func stringEnd(b []byte, i int) int {
	for j := i + 1; ; j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
}

// valueEnd returns the index just past the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; ; j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
	}
	j := i
	for b[j] != ',' && b[j] != '}' && b[j] != ']' {
		j++
	}
	return j
}
