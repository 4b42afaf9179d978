package httpapi

import (
	"strconv"
	"strings"

	"github.com/scopestore/scopestore/scopes"
)

// IfFenceHeader carries the fence of the lock under which a client writes
// a scope (scopes.Cond.Fence).
const IfFenceHeader = "If-Fence"

// ParseIfFence reads an If-Fence header: a lock's fence, a whole number of
// 1 or more; "" is none (0).
func ParseIfFence(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, scopes.Errorf(scopes.EInvalid, "If-Fence %q is not a lock fence: send the \"fence\" number that taking the lock answered, like 42", truncate(s, 40))
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
