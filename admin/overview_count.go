package admin

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// countTimeout bounds the counts of the overview, as healthTimeout bounds
// its health checks: a storage that counts slowly shows as unavailable
// rather than holding the page.
const countTimeout = 5 * time.Second

// countWorkers is how many counts the overview runs at once: enough that
// many apps do not add up their round trips, few enough that the page does
// not take every connection of a storage's pool.
const countWorkers = 4

// estimateTitle explains an estimate beside it.
const estimateTitle = "An estimate: this storage counts an index that keeps scopes which expired " +
	"until the cleaner prunes them, so it can be a little high."

// liveCount is the number of live scopes of one kind of one app, as the
// overview shows it.
type liveCount struct {
	N int64
	// Exact is false when the storage could only estimate N.
	Exact bool
	// Off is set when the app's management of the kind is off: it has no
	// scopes of the kind.
	Off bool
	// Err is why the count is unavailable; N means nothing then.
	Err string
	// Uncountable is set, with Err saying why, when the storage cannot
	// count at all (memcached, which cannot list its keys): not a failure,
	// so it shows as "not countable" rather than "unavailable".
	Uncountable bool
}

// liveTotal is the sum of the counts the overview shows.
type liveTotal struct {
	N     int64
	Exact bool
	// Missing is how many counts are unavailable and left out of N;
	// Uncountable how many storages cannot count (also left out); Counted
	// how many are in it.
	Missing, Uncountable, Counted int
}

// none is what the total shows instead of a number when nothing was
// counted: "" when something was.
func (t liveTotal) none() string {
	switch {
	case t.Counted > 0 || t.Missing+t.Uncountable == 0:
		return ""
	case t.Missing > 0:
		return "unavailable"
	}
	return "not countable"
}

// note is the line under the total: what it leaves out.
func (t liveTotal) note() string {
	switch {
	case t.Missing > 0 && t.Uncountable > 0:
		return missingText(t.Missing) + ", nor " + uncountableText(t.Uncountable)
	case t.Missing > 0:
		return missingText(t.Missing)
	case t.Uncountable > 0:
		return "without " + uncountableText(t.Uncountable)
	}
	return "sessions and client scopes"
}

// uncountableText names the counts left out because their storage cannot count.
func uncountableText(n int) string {
	if n == 1 {
		return "1 kind kept where scopes cannot be counted (memcached)"
	}
	return strconv.Itoa(n) + " kinds kept where scopes cannot be counted (memcached)"
}

// overviewApp is an application on the overview with its live scopes.
type overviewApp struct {
	appRow
	Sessions, Clients liveCount
}

// countScopes counts the live sessions and client scopes of each app, a
// few at a time, and returns their total. A storage whose health check
// failed is not asked again: its counts carry the check's message, down
// by storage name.
func (a *Console) countScopes(ctx context.Context, apps []overviewApp, down map[string]string) liveTotal {
	ctx, cancel := context.WithTimeout(ctx, countTimeout)
	defer cancel()
	slots := make(chan struct{}, countWorkers)
	var wg sync.WaitGroup
	for i := range apps {
		app := &apps[i]
		for _, k := range scopes.Kinds {
			into := &app.Sessions
			if k == scopes.Client {
				into = &app.Clients
			}
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				*into = a.count(ctx, app.Settings, app.Name, k, down)
			})
		}
	}
	wg.Wait()

	total := liveTotal{Exact: true}
	for _, app := range apps {
		for _, c := range []liveCount{app.Sessions, app.Clients} {
			if c.Uncountable {
				total.Uncountable++
				continue
			}
			if c.Err != "" {
				total.Missing++
				continue
			}
			total.N += c.N
			total.Exact = total.Exact && c.Exact
			total.Counted++
		}
	}
	return total
}

// count counts one app's live scopes of kind k. The engine logs the
// storage failures it reports.
func (a *Console) count(ctx context.Context, set scopes.Settings, app string, k scopes.Kind, down map[string]string) liveCount {
	ss := set.Of(k)
	if !ss.Management {
		return liveCount{Off: true, Exact: true}
	}
	if msg, ok := down[ss.Storage]; ok {
		return liveCount{Err: msg}
	}
	n, exact, err := a.Engine.Count(ctx, set, app, k)
	if err != nil {
		return liveCount{Err: scopes.ErrorMessage(err), Uncountable: scopes.ErrorCode(err) == scopes.EUnsupported}
	}
	return liveCount{N: n, Exact: exact}
}

// countText writes a count with thousands separators, "≈ " before an
// estimate: "1,234", "≈ 1,234".
func countText(n int64, exact bool) string {
	s := strconv.FormatInt(n, 10)
	out := make([]byte, 0, len(s)+len(s)/3+len("≈ "))
	if !exact {
		out = append(out, "≈ "...)
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// missingText says how many counts the total leaves out.
func missingText(n int) string {
	if n == 1 {
		return "without 1 count that is unavailable"
	}
	return "without " + strconv.Itoa(n) + " counts that are unavailable"
}

// offTitle explains a count that is off.
func offTitle(k scopes.Kind) string {
	return string(k) + "Management is off for this application: it keeps no " + string(k) + " scopes"
}
