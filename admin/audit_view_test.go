package admin

import (
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// entriesAt returns n entries a second apart, newest first, the newest with ID top.
func entriesAt(n int, top int64) []scopes.AuditEntry {
	base := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	out := make([]scopes.AuditEntry, n)
	for i := range out {
		out[i] = scopes.AuditEntry{ID: top - int64(i), At: base.Add(-time.Duration(i) * time.Second)}
	}
	return out
}

func TestAuditViewLinks(t *testing.T) {
	stop := scopes.AuditPos{At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ID: 7}
	cursor := scopes.AuditPos{At: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), ID: 900}
	for _, c := range []struct {
		name         string
		q            scopes.AuditQuery
		p            scopes.AuditPage
		shown        int
		older, newer string
		scanned      bool
	}{
		{"newest, more", scopes.AuditQuery{}, scopes.AuditPage{Entries: entriesAt(51, 100)}, 50, "", "", false},
		{"newest, all", scopes.AuditQuery{}, scopes.AuditPage{Entries: entriesAt(3, 100)}, 3, "", "", false},
		{"newest, the scan stopped", scopes.AuditQuery{}, scopes.AuditPage{Entries: entriesAt(2, 100), Stop: stop}, 2, stop.String(), "", true},
		{"older page, nothing found before the stop", scopes.AuditQuery{Before: cursor}, scopes.AuditPage{Stop: stop}, 0,
			stop.String(), atOrNewer(cursor).String(), true},
		{"newer page, more", scopes.AuditQuery{After: cursor}, scopes.AuditPage{Entries: entriesAt(51, 1000)}, 50, "", "", false},
		{"newer page, nothing found before the stop", scopes.AuditQuery{After: cursor}, scopes.AuditPage{Stop: stop}, 0,
			atOrOlder(cursor).String(), stop.String(), true},
	} {
		v := auditView{}
		if !c.q.After.IsZero() {
			v.Form.After = c.q.After.String()
		}
		v.page(c.q, c.p)
		if len(v.Entries) != c.shown || v.ScannedTo.IsZero() == c.scanned {
			t.Errorf("%s: %d entries, scanned to %v", c.name, len(v.Entries), v.ScannedTo)
		}
		// Links computed from the entries themselves.
		switch c.name {
		case "newest, more":
			c.older = scopes.PosOf(v.Entries[49]).String()
		case "newer page, more":
			// The page is the 50 entries nearest the cursor; newer ones lie past the first.
			if v.Entries[49].ID != 950 {
				t.Errorf("%s: the page ends with %d, want the entry nearest the cursor (950)", c.name, v.Entries[49].ID)
			}
			c.newer, c.older = scopes.PosOf(v.Entries[0]).String(), scopes.PosOf(v.Entries[49]).String()
		}
		if v.Older != c.older || v.Newer != c.newer {
			t.Errorf("%s: older %q newer %q, want %q and %q", c.name, v.Older, v.Newer, c.older, c.newer)
		}
		if c.scanned && !strings.Contains(v.scannedNote(), "10,000 entries") {
			t.Errorf("%s: %q", c.name, v.scannedNote())
		}
	}
}
