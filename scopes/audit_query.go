package scopes

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds of an audit query. A filter on actor, action or target cannot use
// an index on every dialect (a target is matched as a substring), so a
// query examines at most MaxScan entries of the time range, newest first,
// and says where it stopped: a page costs the same however large the log.
const (
	// MaxAuditLimit is the most entries one query returns.
	MaxAuditLimit = 500
	// DefaultAuditScan is how many entries a filtered query examines unless told otherwise.
	DefaultAuditScan = 10000
	// MaxAuditScan is the most entries one filtered query may examine.
	MaxAuditScan = 100000
)

// AuditFilter selects audit entries; an empty field selects every entry.
// Text is compared without case.
type AuditFilter struct {
	// Actor matches an actor whole ("admin:alice"), or, when it has no
	// colon, the name after any kind as well ("alice" matches admin:alice,
	// cli:alice and app:alice).
	Actor string
	// Action matches the actions that start with it: "session." every
	// session action, "admin.login" the logins and their failures.
	Action string
	// Target matches the targets that contain it: "shop", "203.0.113.".
	Target string
	// Since and Until bound the time: Since <= At < Until; zero is no bound.
	Since, Until time.Time
}

// Filtered tells whether f narrows by actor, action or target, which the
// store answers by a bounded scan.
func (f AuditFilter) Filtered() bool {
	return f.Actor != "" || f.Action != "" || f.Target != ""
}

// AuditPos is a place in the audit log's order: by time, then by ID, so
// that entries written in the same microsecond keep one order and a page
// boundary never splits or repeats them.
type AuditPos struct {
	At time.Time
	ID int64
}

// IsZero tells whether p is no position: the newest end of the log.
func (p AuditPos) IsZero() bool { return p.ID == 0 && p.At.IsZero() }

// PosOf returns the position of an entry.
func PosOf(e AuditEntry) AuditPos { return AuditPos{At: e.At, ID: e.ID} }

// String writes p as a cursor for a URL or the command line: the time in
// microseconds since 1970, an underscore and the ID.
func (p AuditPos) String() string {
	if p.IsZero() {
		return ""
	}
	return strconv.FormatInt(p.At.UnixMicro(), 10) + "_" + strconv.FormatInt(p.ID, 10)
}

// ParseAuditPos reads a cursor that AuditPos.String wrote; "" is the zero position.
func ParseAuditPos(s string) (AuditPos, error) {
	if s == "" {
		return AuditPos{}, nil
	}
	us, id, ok := strings.Cut(s, "_")
	micro, err1 := strconv.ParseInt(us, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n < 0 {
		return AuditPos{}, Errorf(EInvalid, "%q is not a position in the audit log: use the link or the cursor a page gave.", s)
	}
	return AuditPos{At: time.UnixMicro(micro).UTC(), ID: n}, nil
}

// AuditQuery asks for one page of the audit log.
type AuditQuery struct {
	AuditFilter
	// Before reads the entries older than it, After the entries newer than
	// it; with neither, the newest. Entries come newest first either way.
	Before, After AuditPos
	// Limit is how many entries to return, 1 to MaxAuditLimit.
	Limit int
	// MaxScan bounds the entries a query with Filtered examines, up to
	// MaxAuditScan; 0 is DefaultAuditScan.
	MaxScan int
}

// AuditPage is what an AuditQuery found.
type AuditPage struct {
	// Entries are newest first.
	Entries []AuditEntry
	// Stop, when not zero, is the last entry the query examined when it
	// reached MaxScan before finding Limit entries: more may match past it
	// (older for Before and the newest, newer for After). Ask again from it.
	Stop AuditPos
}

// AuditReader reads the audit log a page at a time.
type AuditReader interface {
	// AuditQuery returns one page of the entries that q selects.
	AuditQuery(ctx context.Context, q AuditQuery) (AuditPage, error)
}

// ParseAuditTime reads a bound of an audit query: a date (YYYY-MM-DD, in
// UTC) or an RFC 3339 time. An end bound includes the whole day, or the
// instant given, and is returned as the exclusive Until it makes.
func ParseAuditTime(s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, time.UTC); err == nil {
		if end {
			return d.AddDate(0, 0, 1), nil
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, Errorf(EInvalid, "%q is not a date: write YYYY-MM-DD (UTC) or an RFC 3339 time like 2026-03-14T15:09:26Z.", s)
	}
	t = t.UTC().Truncate(time.Microsecond)
	if end {
		// The log keeps microseconds: the entries of that microsecond are in.
		return t.Add(time.Microsecond), nil
	}
	return t, nil
}

// Describe says the filter in words, for an audit entry or a message:
// `actor "alice", action "session.", from 2026-03-01`.
func (f AuditFilter) Describe() string {
	var parts []string
	for _, p := range []struct{ name, value string }{{"actor", f.Actor}, {"action", f.Action}, {"target", f.Target}} {
		if p.value != "" {
			parts = append(parts, fmt.Sprintf("%s %q", p.name, p.value))
		}
	}
	if !f.Since.IsZero() {
		parts = append(parts, "since "+f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		parts = append(parts, "before "+f.Until.UTC().Format(time.RFC3339Nano))
	}
	if len(parts) == 0 {
		return "no filter"
	}
	return strings.Join(parts, ", ")
}
