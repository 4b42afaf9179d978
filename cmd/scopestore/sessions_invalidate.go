package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

func sessionsInvalidateFlags(fs *flag.FlagSet) {
	sessionFlags(fs)
	fs.String("where", "", "invalidate every scope whose data has key=value at its top level (=value: any key)")
	fs.String("prefix", "", "with or without --where: only the cfids that start with this prefix")
	fs.String("after", "", "start after this cfid: the cursor a run stopped at its bound printed")
	fs.Bool("dry-run", false, "only count the matching scopes, and print the count on stdout")
	fs.Bool("yes", false, "invalidate the matching scopes; without it nothing is invalidated")
}

// matchFlagsSet tells whether the command line asks for a targeted
// invalidation rather than one cfid.
func matchFlagsSet(rc *runContext) bool {
	for _, name := range []string{"where", "prefix", "after"} {
		if rc.flags.Lookup(name).Value.String() != "" {
			return true
		}
	}
	return false
}

// sessionsInvalidateMatching counts the scopes that --where and --prefix
// keep, prints the count, and invalidates them with --yes: one run, bounded
// by scopes.MaxMatchScan, audited as one entry.
func sessionsInvalidateMatching(rc *runContext, svc *services, app string, k scopes.Kind, set scopes.Settings, args []string) error {
	fs := rc.flags
	if len(args) > 0 {
		return usageErrorf("give a cfid or --where/--prefix, not both")
	}
	q := scopes.ListQuery{CFIDPrefix: fs.Lookup("prefix").Value.String(), After: fs.Lookup("after").Value.String()}
	if where := fs.Lookup("where").Value.String(); where != "" {
		key, value, ok := strings.Cut(where, "=")
		if !ok {
			return usageErrorf("--where %q: write key=value, or =value to look in every top-level key", where)
		}
		q.Key, q.Value = strings.TrimSpace(key), value
	}
	if q.CFIDPrefix == "" && q.Key == "" && q.Value == "" {
		return usageErrorf("missing cfid, or --where key=value to invalidate every scope whose data matches")
	}
	dryRun := fs.Lookup("dry-run").Value.String() == "true"
	yes := fs.Lookup("yes").Value.String() == "true"
	if dryRun && yes {
		return usageErrorf("--dry-run and --yes: choose one")
	}
	noun := string(k) + " scopes"
	count, err := svc.engine.CountMatching(rc.ctx, set, app, k, q, 0)
	if err != nil {
		return err
	}
	filter := matchFilterText(q)
	fmt.Fprintf(rc.stderr, "%s%d %s of %s match %s now (%d examined%s).\n", atLeast(count), count.Matched, noun, app, filter,
		count.Scanned, boundNote(count))
	if dryRun {
		fmt.Fprintln(rc.stdout, count.Matched)
		return nil
	}
	if count.Matched == 0 && count.Complete {
		fmt.Fprintln(rc.stderr, "Nothing to invalidate.")
		fmt.Fprintln(rc.stdout, 0)
		return nil
	}
	if !yes {
		return usageErrorf("nothing invalidated: add --yes to invalidate these %d %s (or --dry-run to count only)", count.Matched, noun)
	}
	run, err := svc.engine.InvalidateMatching(rc.ctx, set, app, k, q, 0, nil)
	if run.Scanned > 0 || err == nil {
		e := scopes.AuditEntry{At: time.Now(), Actor: scopes.ActorFrom(rc.ctx), Action: string(k) + ".invalidate_matching", Target: app,
			Detail: auditMatchDetail(q, set.Of(k).Storage, run, count.Matched, err)}
		if aerr := svc.config.AddAudit(rc.ctx, e); aerr != nil {
			svc.logger.Error("audit log write failed", "action", e.Action, "err", aerr)
		}
	}
	if err != nil {
		return fmt.Errorf("invalidated %d %s, then stopped: %w", run.Invalidated, noun, err)
	}
	fmt.Fprintln(rc.stdout, run.Invalidated)
	fmt.Fprintf(rc.stderr, "Invalidated %d %s of %s: the application's next load of each answers 404.\n", run.Invalidated, noun, app)
	if !run.Complete {
		fmt.Fprintf(rc.stderr, "The run stopped at its bound of %d examined: more may match. Go on with --after %s.\n", scopes.MaxMatchScan, run.Next)
	}
	if !set.Of(k).Cluster {
		fmt.Fprintf(rc.stderr, "Note: %sCluster is false for %s, so a running instance that holds one of these scopes in memory serves it\n"+
			"until it leaves memory (--idle-time, default %s).\n", k, app, scopes.DefaultIdleTime)
	}
	return nil
}

// matchFilterText says a filter on the command line's terms.
func matchFilterText(q scopes.ListQuery) string {
	var parts []string
	if q.CFIDPrefix != "" {
		parts = append(parts, "--prefix "+q.CFIDPrefix)
	}
	if q.Key != "" || q.Value != "" {
		parts = append(parts, "--where "+strconv.Quote(q.Key+"="+q.Value))
	}
	if q.After != "" {
		parts = append(parts, "after "+q.After)
	}
	return strings.Join(parts, " ")
}

// atLeast starts the count's sentence: "At least" when the run's bound
// stopped the count before the end.
func atLeast(r scopes.MatchRun) string {
	if r.Complete {
		return ""
	}
	return "At least "
}

func boundNote(r scopes.MatchRun) string {
	if r.Complete {
		return ""
	}
	return fmt.Sprintf(", stopped at the bound of %d: more may match after %s", scopes.MaxMatchScan, r.Next)
}

// auditMatchDetail writes a command-line run for its one audit entry.
func auditMatchDetail(q scopes.ListQuery, storage string, run scopes.MatchRun, counted int, err error) string {
	d := fmt.Sprintf("%d scopes invalidated by the command line matching %s (storage %s): %d matched of %d examined; %d counted first",
		run.Invalidated, matchFilterText(q), storage, run.Matched, run.Scanned, counted)
	switch {
	case err != nil:
		d += "; then it stopped: " + scopes.ErrorMessage(err)
	case !run.Complete:
		d += fmt.Sprintf("; stopped at the bound of %d examined, more may match after cfid %s", scopes.MaxMatchScan, run.Next)
	}
	return d
}
