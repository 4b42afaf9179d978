package httpapi

import (
	"strconv"
	"strings"

	"github.com/scopestore/scopestore/scopes"
)

// maxIfMatchTags bounds the entity tags of one If-Match, each of which
// the write compares with the stored version on every attempt.
const maxIfMatchTags = 100

// ParseIfMatch reads an If-Match value: "*", or a comma-separated list of
// entity tags ("3", "3", "4") and bare version numbers (3). It returns
// the versions the scope may be at for the write to go ahead, nil for ""
// and "*" (no condition: every save wants a scope that exists). If-Match
// compares strongly (RFC 9110 §13.1.1): a weak tag (W/"3") never matches,
// so a list of weak tags only fails with EPreconditionFailed, whatever the
// version. A tag that is no scope version is EInvalid: every ETag
// scopestore sends is one.
func ParseIfMatch(s string) ([]int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" {
		return nil, nil
	}
	var versions []int64
	weak, tags := false, 0
	for _, tag := range strings.Split(s, ",") {
		tag = strings.Trim(tag, " \t")
		if tag == "" {
			continue // empty list elements are allowed (RFC 9110 §5.6.1)
		}
		if tags++; tags > maxIfMatchTags {
			return nil, scopes.Errorf(scopes.EInvalid, "If-Match names more than %d versions: send the ETag of the loaded scope, like \"3\"", maxIfMatchTags)
		}
		v, isWeak, ok := parseETag(tag)
		if !ok {
			return nil, scopes.Errorf(scopes.EInvalid, "If-Match %q is not a scope version: send the ETag of the loaded scope, like \"3\", or a list of them", s)
		}
		if isWeak {
			weak = true
			continue
		}
		versions = append(versions, v)
	}
	switch {
	case len(versions) > 0:
		return versions, nil
	case weak:
		return nil, scopes.Errorf(scopes.EPreconditionFailed, "If-Match %q holds only weak entity tags, which never match on a write: send the ETag as scopestore sent it, like \"3\"", s)
	}
	return nil, scopes.Errorf(scopes.EInvalid, "If-Match %q names no version: send the ETag of the loaded scope, like \"3\"", s)
}

// parseETag reads one entity tag of an If-Match list, or a bare version.
func parseETag(tag string) (version int64, weak, ok bool) {
	if strings.HasPrefix(tag, "W/") {
		weak, tag = true, tag[2:]
		if len(tag) < 2 || tag[0] != '"' {
			return 0, false, false // W/ takes a quoted tag only
		}
	}
	if len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"' {
		tag = tag[1 : len(tag)-1]
	}
	// Digits only: ParseInt would also take a sign.
	if tag == "" || strings.TrimLeft(tag, "0123456789") != "" {
		return 0, false, false
	}
	n, err := strconv.ParseInt(tag, 10, 64)
	if err != nil || n < 1 {
		return 0, false, false
	}
	return n, weak, true
}

// ETag returns the ETag of a scope version: the version in quotes.
func ETag(version int64) string {
	return string(AppendETag(nil, version))
}

// AppendETag appends ETag(version) to b.
func AppendETag(b []byte, version int64) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, version, 10)
	return append(b, '"')
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
