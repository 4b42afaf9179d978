package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/scopestore/scopestore/scopes"
)

// maxAuditList bounds one `audit list`, as the console bounds its export.
const maxAuditList = 100000

// auditDetailWidth is how much of a detail the table shows; --json has all of it.
const auditDetailWidth = 100

func auditCommand() *command {
	return &command{
		name:  "audit",
		short: "Read the audit log: who changed what, who read scope data, console logins",
		subs: []*command{
			{name: "list", usage: "[--actor A] [--action X] [--target T] [--since D] [--until D] [--limit N] [--before C] [--json] [flags]",
				short: "List audit entries, newest first: a table, or JSON lines with --json",
				long: "--actor matches a whole actor (admin:alice) or, without a colon, a name of any kind (alice).\n" +
					"--action matches the actions that start with it (session., admin.login); --target the targets that contain it.\n" +
					"--since and --until take a date (YYYY-MM-DD, UTC; --until includes the day) or an RFC 3339 time (included).\n" +
					"Text is compared without case. When more entries match than --limit, the last line on stderr gives the\n" +
					"--before cursor that goes on. --json writes one entry a line, as the console's export does.\n" +
					"Examples:\n  scopestore audit list --action admin.login_ --since 2026-03-01\n" +
					"  scopestore audit list --actor alice --json > alice.jsonl",
				flags: auditListFlags, run: withServices(auditList)},
		},
	}
}

func auditListFlags(fs *flag.FlagSet) {
	fs.String("actor", "", "keep the entries of this actor: admin:alice, or alice for any kind")
	fs.String("action", "", "keep the actions that start with this: session., admin.login")
	fs.String("target", "", "keep the targets that contain this")
	fs.String("since", "", "keep the entries at or after this date (YYYY-MM-DD, UTC) or RFC 3339 time")
	fs.String("until", "", "keep the entries up to this date (included) or RFC 3339 time")
	fs.Int("limit", 50, "entries to list, 1 to "+strconv.Itoa(maxAuditList))
	fs.String("before", "", "start below this cursor: the one a previous list printed")
	fs.Bool("json", false, "write JSON lines, one entry a line, rather than a table")
}

// auditQuery reads the command's flags into a query.
func auditQuery(fs *flag.FlagSet) (scopes.AuditQuery, int, error) {
	get := func(name string) string { return strings.TrimSpace(fs.Lookup(name).Value.String()) }
	var q scopes.AuditQuery
	q.Actor, q.Action, q.Target = get("actor"), get("action"), get("target")
	var err error
	if q.Since, err = scopes.ParseAuditTime(get("since"), false); err != nil {
		return q, 0, usageErrorf("--since %q: write YYYY-MM-DD (UTC) or an RFC 3339 time like 2026-03-14T15:09:26Z", get("since"))
	}
	if q.Until, err = scopes.ParseAuditTime(get("until"), true); err != nil {
		return q, 0, usageErrorf("--until %q: write YYYY-MM-DD (UTC) or an RFC 3339 time like 2026-03-14T15:09:26Z", get("until"))
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return q, 0, usageErrorf("--until %s is before --since %s", get("until"), get("since"))
	}
	if q.Before, err = scopes.ParseAuditPos(get("before")); err != nil {
		return q, 0, usageErrorf("--before %q: give the cursor a previous list printed", get("before"))
	}
	limit, _ := strconv.Atoi(get("limit"))
	if limit < 1 || limit > maxAuditList {
		return q, 0, usageErrorf("--limit %s: ask for 1 to %d entries", get("limit"), maxAuditList)
	}
	return q, limit, nil
}

func auditList(rc *runContext, svc *services, _ []string) error {
	q, limit, err := auditQuery(rc.flags)
	if err != nil {
		return err
	}
	asJSON := rc.flags.Lookup("json").Value.String() == "true"
	enc := json.NewEncoder(rc.stdout)
	enc.SetEscapeHTML(false)
	tw := tabwriter.NewWriter(rc.stdout, 0, 4, 2, ' ', 0)
	if !asJSON {
		fmt.Fprintln(tw, "WHEN (UTC)\tACTOR\tACTION\tTARGET\tDETAIL")
	}
	n := 0
	var last scopes.AuditPos
	more := false
	for {
		// One entry past the limit tells whether more match.
		q.Limit = min(limit-n+1, scopes.MaxAuditLimit)
		page, err := svc.config.AuditQuery(rc.ctx, q)
		if err != nil {
			return err
		}
		for _, e := range page.Entries {
			if n == limit {
				more = true
				break
			}
			if asJSON {
				if err := enc.Encode(e); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format("2006-01-02 15:04:05"), cell(e.Actor, 0),
					cell(e.Action, 0), cell(e.Target, 0), cell(e.Detail, auditDetailWidth))
			}
			last = scopes.PosOf(e)
			n++
		}
		if more {
			break
		}
		switch {
		case len(page.Entries) == q.Limit:
			q.Before = scopes.PosOf(page.Entries[len(page.Entries)-1])
		case !page.Stop.IsZero():
			q.Before = page.Stop
		default:
			q.Before = scopes.AuditPos{}
		}
		if q.Before.IsZero() {
			break
		}
	}
	if !asJSON {
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	switch {
	case n == 0:
		fmt.Fprintf(rc.stderr, "No audit entries match (%s).\n", q.Describe())
	case more:
		fmt.Fprintf(rc.stderr, "%d entries shown; older ones match too: go on with --before %s\n", n, last)
	}
	return nil
}

// cell is a field as one cell of the table: control characters (a newline
// in a detail, or in a user name someone typed at the login) as spaces, so
// that an entry stays on its line, and cut to width characters when width
// is not 0.
func cell(s string, width int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if width > 0 && utf8.RuneCountInString(s) > width {
		s = string([]rune(s)[:width-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}
