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
	m, err := readMatchFlags(rc, args)
	if err != nil {
		return err
	}
	count := func(q scopes.ListQuery) (scopes.MatchRun, error) {
		return svc.engine.CountMatching(rc.ctx, set, app, k, q, 0)
	}
	invalidate := func(q scopes.ListQuery, counted int) (scopes.MatchRun, error) {
		run, err := svc.engine.InvalidateMatching(rc.ctx, set, app, k, q, 0, nil)
		if run.Scanned > 0 || err == nil {
			e := scopes.AuditEntry{At: time.Now(), Actor: scopes.ActorFrom(rc.ctx), Action: string(k) + ".invalidate_matching", Target: app,
				Detail: auditMatchDetail(q, set.Of(k).Storage, run, counted, err)}
			if aerr := svc.config.AddAudit(rc.ctx, e); aerr != nil {
				svc.logger.Error("audit log write failed", "action", e.Action, "err", aerr)
			}
		}
		return run, err
	}
	cluster := set.Of(k).Cluster
	return runMatching(rc, app, k, m, count, invalidate, &cluster)
}

// matchFlags are a targeted invalidation's command line.
type matchFlags struct {
	q           scopes.ListQuery
	dryRun, yes bool
}

// readMatchFlags reads --where, --prefix, --after, --dry-run and --yes.
func readMatchFlags(rc *runContext, args []string) (matchFlags, error) {
	fs := rc.flags
	if len(args) > 0 {
		return matchFlags{}, usageErrorf("give a cfid or --where/--prefix, not both")
	}
	m := matchFlags{q: scopes.ListQuery{CFIDPrefix: fs.Lookup("prefix").Value.String(), After: fs.Lookup("after").Value.String()},
		dryRun: fs.Lookup("dry-run").Value.String() == "true", yes: fs.Lookup("yes").Value.String() == "true"}
	if where := fs.Lookup("where").Value.String(); where != "" {
		key, value, ok := strings.Cut(where, "=")
		if !ok {
			return m, usageErrorf("--where %q: write key=value, or =value to look in every top-level key", where)
		}
		m.q.Key, m.q.Value = strings.TrimSpace(key), value
	}
	if m.q.CFIDPrefix == "" && m.q.Key == "" && m.q.Value == "" {
		return m, usageErrorf("missing cfid, or --where key=value to invalidate every scope whose data matches")
	}
	if m.dryRun && m.yes {
		return m, usageErrorf("--dry-run and --yes: choose one")
	}
	return m, nil
}

// runMatching counts the matching scopes and prints the count, then, with
// --yes, invalidates them through invalidate, which audits the run; the
// data directory's engine or a server's admin API does both. cluster is
// the kind's cluster setting, nil when it is not known here.
func runMatching(rc *runContext, app string, k scopes.Kind, m matchFlags,
	count func(scopes.ListQuery) (scopes.MatchRun, error),
	invalidate func(q scopes.ListQuery, counted int) (scopes.MatchRun, error), cluster *bool) error {
	noun := string(k) + " scopes"
	counted, err := count(m.q)
	if err != nil {
		return err
	}
	filter := matchFilterText(m.q)
	fmt.Fprintf(rc.stderr, "%s%d %s of %s match %s now (%d examined%s).\n", atLeast(counted), counted.Matched, noun, app, filter,
		counted.Scanned, boundNote(counted))
	if m.dryRun {
		fmt.Fprintln(rc.stdout, counted.Matched)
		return nil
	}
	if counted.Matched == 0 && counted.Complete {
		fmt.Fprintln(rc.stderr, "Nothing to invalidate.")
		fmt.Fprintln(rc.stdout, 0)
		return nil
	}
	if !m.yes {
		return usageErrorf("nothing invalidated: add --yes to invalidate these %d %s (or --dry-run to count only)", counted.Matched, noun)
	}
	run, err := invalidate(m.q, counted.Matched)
	if err != nil {
		return fmt.Errorf("invalidated %d %s, then stopped: %w", run.Invalidated, noun, err)
	}
	fmt.Fprintln(rc.stdout, run.Invalidated)
	fmt.Fprintf(rc.stderr, "Invalidated %d %s of %s: the application's next load of each answers 404.\n", run.Invalidated, noun, app)
	if !run.Complete {
		fmt.Fprintf(rc.stderr, "The run stopped at its bound of %d examined: more may match. Go on with --after %s.\n", scopes.MaxMatchScan, run.Next)
	}
	if cluster != nil && !*cluster {
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
