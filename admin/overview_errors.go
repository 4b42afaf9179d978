package admin

import (
	"strings"

	"github.com/scopestore/scopestore/scopes"
)

// recentErrorsShown is how many of the engine's recent storage failures the
// overview lists.
const recentErrorsShown = 10

// recentErrors returns the newest storage failures of this instance's
// engine, at most recentErrorsShown, with cfids in their text shortened as
// the Sessions list shortens them.
func (a *Console) recentErrors() []scopes.ErrorEvent {
	events := a.Engine.RecentErrors()
	if len(events) > recentErrorsShown {
		events = events[:recentErrorsShown]
	}
	for i := range events {
		events[i].Message = shortenCFIDs(events[i].Message)
		events[i].Cause = shortenCFIDs(events[i].Cause)
	}
	return events
}

// shortenCFIDs replaces each cfid in s by its first 8 characters: a corrupt
// value's message names its scope, and the overview, like the Sessions
// list, shows a full cfid only on the scope's own page.
func shortenCFIDs(s string) string {
	const n = 36
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+n <= len(s) && scopes.ValidCFID(s[i:i+n]) {
			b.WriteString(shortCFID(s[i : i+n]))
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}
