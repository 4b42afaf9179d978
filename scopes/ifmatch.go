package scopes

import (
	"strconv"
	"strings"
)

// versionCond is the If-Match condition of a write: the versions the stored
// scope may be at for the write to go ahead. Empty, it is no condition.
type versionCond []int64

// versionsOf keeps the versions > 0 of vs; 0 is how callers say "no
// condition", and no scope has a version below 1.
func versionsOf(vs []int64) versionCond {
	var c versionCond
	for _, v := range vs {
		if v > 0 {
			c = append(c, v)
		}
	}
	return c
}

// met reports whether a scope at version v meets the condition.
func (c versionCond) met(v int64) bool {
	if len(c) == 0 {
		return true
	}
	for _, w := range c {
		if w == v {
			return true
		}
	}
	return false
}

// single returns the version that a store's Change can check
// (Change.IfVersion, 0 for none); one is false when the condition names
// more than one version, which a Change cannot check.
func (c versionCond) single() (v int64, one bool) {
	switch len(c) {
	case 0:
		return 0, true
	case 1:
		return c[0], true
	}
	return 0, false
}

// String names the versions for a message: "3", "3 or 4".
func (c versionCond) String() string {
	parts := make([]string, len(c))
	for i, v := range c {
		parts[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(parts, " or ")
}
