package admin_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// chartClock is the History's clock, which the test moves.
type chartClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *chartClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *chartClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestOverviewCharts(t *testing.T) {
	clock := &chartClock{t: time.Date(2026, 12, 3, 11, 30, 0, 0, time.UTC)}
	hist := scopes.NewHistory(clock.now)
	tc := newTestConsoleOn(t, false, nil, func(o *admin.Options) {
		o.History = hist
		o.Engine.Observer = hist
	})
	tc.login()
	tc.createApp(t, "shop")

	// 11:58: 58 sessions created in memory and 2 loads that found the
	// storage down, the slowest at 900 ms: 60 operations in a minute, 1/s.
	// The creates' own latencies count too: 900 ms stays the p99 even when a
	// loaded machine (CI with -race) makes one take tens of milliseconds.
	clock.set(time.Date(2026, 12, 3, 11, 58, 20, 0, time.UTC))
	tc.createScopes(t, "shop", scopes.Session, 58)
	hist.ObserveOp("memory", scopes.OpLoad, scopes.ResultUnavailable, 900*time.Millisecond)
	hist.ObserveOp("memory", scopes.OpLoad, scopes.ResultUnavailable, 900*time.Millisecond)
	// 12:00:30: 15 more, in the 30 seconds of the current minute: 0.5/s.
	clock.set(time.Date(2026, 12, 3, 12, 0, 30, 0, time.UTC))
	tc.createScopes(t, "shop", scopes.Session, 15)

	p := tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("charts-note"); !strings.Contains(got, "This instance's own measurements, minute by minute, since it started at 2026-12-03 11:30:00 UTC") {
		t.Errorf("charts-note = %q", got)
	}
	mem := p.doc.Find(`[data-testid="charts-memory"]`)
	if mem.Length() != 1 {
		t.Fatalf("no charts of memory:\n%s", p.body)
	}
	in := func(s *goquery.Selection, testid string) string {
		return strings.Join(strings.Fields(s.Find(`[data-testid="`+testid+`"]`).Text()), " ")
	}
	for testid, want := range map[string]string{
		"charts-summary": "75 operations, 2 errors in the last hour",
		"chart-now-ops":  "0.5", "chart-top-ops": "1/s",
		"chart-now-errors": "0", "chart-top-errors": "2",
		"chart-top-p99":  "1,000 ms",
		"chart-now-live": "73", "chart-top-live": "80",
	} {
		if got := in(mem, testid); got != want {
			t.Errorf("memory %s = %q, want %q", testid, got, want)
		}
	}
	for key, want := range map[string]string{
		"ops":    "Operations per second on memory, minute by minute over the last hour: peak 1/s at 11:58 UTC; now 0.5/s.",
		"errors": "Storage errors per minute on memory over the last hour: 2 in all, peak 2 at 11:58 UTC; 0 in the current minute.",
		// 900 ms falls in [805.3, 939.5) ms, whose middle is 872.4 ms.
		"p99":  "99th percentile latency on memory, minute by minute over the last hour: peak 872 ms at 11:58 UTC;",
		"live": "latest 73 at 12:00 UTC.",
	} {
		svg := mem.Find(`svg[data-testid="svg-` + key + `"]`)
		title := svg.Find("title")
		if !strings.Contains(title.Text(), want) {
			t.Errorf("%s: title %q, want it to say %q", key, title.Text(), want)
		}
		id, _ := title.Attr("id")
		if by, _ := svg.Attr("aria-labelledby"); by == "" || by != id || svg.AttrOr("role", "") != "img" {
			t.Errorf("%s: the svg is not labelled by its title (%q, %q)", key, by, id)
		}
		if vb, _ := svg.Attr("viewBox"); vb != "0 0 300 72" {
			t.Errorf("%s: viewBox %q", key, vb)
		}
		// The instance started at 11:30: the 29 minutes before, from
		// 11:01, are shaded.
		if w, _ := svg.Find("rect.chart-before").Attr("width"); w != "145" {
			t.Errorf("%s: the part before the start is %q wide, want 145", key, w)
		}
	}
	// One bar, the 2 errors of 11:58 (slot 57 of 60) at the top of the axis of 2.
	bars := mem.Find(`svg[data-testid="svg-errors"] rect.chart-bar`)
	if bars.Length() != 1 || bars.AttrOr("x", "") != "285.75" || bars.AttrOr("y", "") != "4" {
		t.Errorf("error bars: %d, x %q y %q; want one at 285.75, 4", bars.Length(), bars.AttrOr("x", ""), bars.AttrOr("y", ""))
	}
	// The ops line runs from 11:30 (slot 29) to now; 11:58 at the top.
	line := mem.Find(`svg[data-testid="svg-ops"] path.chart-line`).AttrOr("d", "")
	if !strings.HasPrefix(line, "M147.5 72 L152.5 72") || !strings.Contains(line, "L287.5 4 L292.5 72 L297.5 38") {
		t.Errorf("ops line %q", line)
	}

	// The numbers, newest first, for whoever cannot see the charts.
	rows := mem.Find(`[data-testid="charts-row"]`)
	if rows.Length() != 2 {
		t.Fatalf("%d rows of numbers, want 2 (12:00 and 11:58):\n%s", rows.Length(), mem.Find("table").Text())
	}
	for i, want := range [][]string{
		{"12:00 so far", "0.5", "15", "0", "", "73"},
		{"11:58", "1", "60", "2", "872 ms", "–"},
	} {
		cells := rows.Eq(i).Find("td")
		for j, w := range want {
			if got := strings.TrimSpace(cells.Eq(j).Text()); w != "" && got != w {
				t.Errorf("row %d, cell %d = %q, want %q", i, j, got, w)
			}
		}
	}

	// The file storage holds shop's client scopes: none, and no operation.
	file := p.doc.Find(`[data-testid="charts-file"]`)
	if got := in(file, "charts-idle"); !strings.Contains(got, "No operations in the last hour") {
		t.Errorf("file: idle %q", got)
	}
	if file.Find(`[data-testid="chart-ops"]`).Length() != 0 || in(file, "chart-now-live") != "0" {
		t.Errorf("file: an idle storage should have its live chart only, counted 0:\n%s", file.Text())
	}

	// A storage that cannot be counted (cookie) says so across its chart.
	if _, err := tc.dir.SetAppSettings(t.Context(), "shop", map[string]string{"clientStorage": "cookie"}); err != nil {
		t.Fatal(err)
	}
	p = tc.get("/admin/")
	cookie := p.doc.Find(`[data-testid="charts-cookie"]`)
	if got := in(cookie, "chart-empty-live"); got != "Cannot be counted" {
		t.Errorf("cookie: live chart %q\n%s", got, cookie.Text())
	}
}

func TestOverviewWithoutHistory(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	p := tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if p.doc.Find(`[data-testid="charts-note"], svg`).Length() != 0 {
		t.Error("charts without a History")
	}
}
