package redis

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// The bounds of a Redis connection's timeout, the wait for each read and
// write. Redis answers in well under a millisecond on a LAN, so that a
// short timeout finds a server that stopped answering fast; below 10ms a
// busy network would fail commands that succeed. Above a minute, every
// request of every app waits that long when Redis does not answer.
const (
	MinTimeout = 10 * time.Millisecond
	MaxTimeout = time.Minute
)

// ParseTimeout reads a Redis connection's timeout param: a Go duration
// such as 500ms, 1.5s or 2s, or a whole number of seconds ("3"), as older
// versions wrote it, from MinTimeout to MaxTimeout. Its error is a rule
// that follows the param's name: "must be …".
func ParseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.ParseInt(s, 10, 64)
		if nerr != nil {
			return 0, errors.New("must be a time with its unit, such as 500ms, 1.5s or 2s")
		}
		d = time.Duration(n) * time.Second
		if n > int64(MaxTimeout/time.Second) {
			d = MaxTimeout + 1
		}
	}
	switch {
	case d <= 0:
		return 0, errors.New("must be longer than zero, such as 500ms or 2s: it is how long each read and write waits for Redis")
	case d < MinTimeout:
		return 0, errors.New("must be at least 10ms: a shorter wait fails commands that Redis answers in time")
	case d > MaxTimeout:
		return 0, errors.New("must be at most 1m: a longer wait holds every request that long when Redis does not answer")
	}
	return d, nil
}

// timeoutParam reads the timeout param of an open: what ParseTimeout
// takes, or a scope timeout such as "5m" or "1d" that versions before
// sub-second timeouts accepted, so that a connection stored then still
// opens.
func timeoutParam(s string) (time.Duration, error) {
	d, err := ParseTimeout(s)
	if err == nil {
		return d, nil
	}
	if legacy, lerr := scopes.ParseTimeout(s); lerr == nil {
		return legacy, nil
	}
	return 0, err
}
