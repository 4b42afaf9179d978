package httpapi

import (
	"strconv"

	"github.com/scopestore/scopestore/scopes"
)

// ParseIfMatch reads an If-Match value: a quoted ETag ("3", W/"3") or a bare
// version number. "" and "*" mean no condition (0).
func ParseIfMatch(s string) (int64, error) {
	if s == "" || s == "*" {
		return 0, nil
	}
	v := s
	if len(v) > 2 && v[:2] == "W/" {
		v = v[2:]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, scopes.Errorf(scopes.EInvalid, "If-Match %q is not a scope version: send the ETag of the loaded scope, like \"3\"", s)
	}
	return n, nil
}

// ETag returns the ETag of a scope version: the version in quotes.
func ETag(version int64) string {
	return `"` + strconv.FormatInt(version, 10) + `"`
}

// ParseIfNoneMatch reads an If-None-Match value on a write: "*" asks to
// create the scope only when it does not exist (true); "" is no condition.
func ParseIfNoneMatch(s string) (bool, error) {
	switch s {
	case "":
		return false, nil
	case "*":
		return true, nil
	}
	return false, scopes.Errorf(scopes.EInvalid, "If-None-Match %q is not understood on a write: send If-None-Match: * to create a scope only when its cfid is free", s)
}
