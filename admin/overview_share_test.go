package admin_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// Three instances share the config store: the Overview of one of them
// shows their operations and errors summed, the p99 of all their
// operations, memory's live scopes summed, and says how many instances it
// shows.
func TestOverviewChartsOfSeveralInstances(t *testing.T) {
	clock := &chartClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	hist := scopes.NewHistory(clock.now)
	tc := newTestConsoleOn(t, false, nil, func(o *admin.Options) {
		o.History = hist
		o.Engine.Observer = hist
	})
	// As cmd wires it: the instances publish to the config store they share.
	hist.Instance, hist.Share = "this", tc.config
	other := scopes.NewHistory(clock.now)
	other.Instance, other.Share = "other", tc.config
	third := scopes.NewHistory(clock.now)
	third.Instance, third.Share = "third", tc.config
	tc.login()
	tc.createApp(t, "shop")

	// 12:00: this instance creates 10 sessions in memory; the other makes
	// 32 operations, 2 of which find the storage down, and counts 7 live
	// scopes in its memory; the third makes 5 slow ones and counts 3.
	clock.set(time.Date(2026, 12, 3, 12, 0, 20, 0, time.UTC))
	tc.createScopes(t, "shop", scopes.Session, 10)
	for i := range 32 {
		result := scopes.ResultOK
		if i < 2 {
			result = scopes.ResultUnavailable
		}
		other.ObserveOp("memory", scopes.OpLoad, result, time.Millisecond)
	}
	other.RecordLive("memory", 7)
	for range 5 {
		third.ObserveOp("memory", scopes.OpSave, scopes.ResultOK, 100*time.Millisecond)
	}
	third.RecordLive("memory", 3)
	// 12:01:30: the minute is over, and the others have published it.
	clock.set(time.Date(2026, 12, 3, 12, 1, 30, 0, time.UTC))
	for _, h := range []*scopes.History{other, third} {
		if _, err := h.Publish(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	p := tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("charts-instances"); got != "3 instances, this one and 2 others sharing the config store" {
		t.Errorf("charts-instances = %q", got)
	}
	mem := p.doc.Find(`[data-testid="charts-memory"]`)
	in := func(testid string) string {
		return strings.Join(strings.Fields(mem.Find(`[data-testid="`+testid+`"]`).First().Text()), " ")
	}
	if got := in("charts-summary"); got != "47 operations, 2 errors in the last hour" {
		t.Errorf("summary %q, want the three instances' 10 + 32 + 5 operations", got)
	}
	// Now: this instance's 10, counted as the page loaded, and the others'
	// counts of 12:00, which they have published.
	if got := in("chart-now-live"); got != "20" {
		t.Errorf("live now %q, want 10 + 7 + 3", got)
	}
	rows := mem.Find(`[data-testid="charts-row"]`)
	if rows.Length() != 2 {
		t.Fatalf("%d rows, want 12:01 and 12:00", rows.Length())
	}
	row := rows.Eq(1)
	if got := row.Find(`[data-testid="row-ops"]`).Text(); got != "47" {
		t.Errorf("12:00 ops %q, want 47", got)
	}
	if got := row.Find(`[data-testid="row-errors"]`).Text(); got != "2" {
		t.Errorf("12:00 errors %q, want 2", got)
	}
	// The 47th of 47 operations is one of the third's 100 ms saves: the p99
	// of the merged histograms, within the History's 12.5%.
	p99 := strings.TrimSuffix(row.Find(`[data-testid="row-p99"]`).Text(), " ms")
	if ms, err := strconv.ParseFloat(p99, 64); err != nil || ms < 87.5 || ms > 112.5 {
		t.Errorf("12:00 p99 %q ms, want 100 ± 12.5%%", p99)
	}
	// This instance did not count at 12:00: memory's sum would be a part
	// of it (the others' 7 and 3), so the minute has no point.
	if got := row.Find(`[data-testid="row-live"]`).Text(); got != "–" {
		t.Errorf("12:00 live %q, want none", got)
	}
}

// With a share that nobody else publishes to, the Overview says it shows
// one instance; without a share, it shows this one's own measurements.
func TestOverviewChartsOfOneInstance(t *testing.T) {
	hist := scopes.NewHistory(nil)
	tc := newTestConsoleOn(t, false, nil, func(o *admin.Options) { o.History = hist })
	hist.Instance, hist.Share = "this", tc.config
	tc.login()
	p := tc.get("/admin/")
	mustStatus(t, p, http.StatusOK)
	if got := p.testid("charts-instances"); !strings.HasPrefix(got, "1 instance, this one") {
		t.Errorf("charts-instances = %q", got)
	}
}

// A LiveSampler counts every app's live scopes and records them per
// storage, as the Overview does, without anybody loading a page.
func TestLiveSampler(t *testing.T) {
	clock := &chartClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	hist := scopes.NewHistory(clock.now)
	var opts admin.Options
	tc := newTestConsoleOn(t, false, nil, func(o *admin.Options) {
		o.History = hist
		opts = *o
	})
	if _, err := tc.dir.CreateApp(context.Background(), "shop"); err != nil {
		t.Fatal(err)
	}
	tc.createScopes(t, "shop", scopes.Session, 4)
	tc.createScopes(t, "shop", scopes.Client, 2)
	if err := admin.NewLiveSampler(opts).Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := hist.Minutes("memory")
	f := hist.Minutes("file")
	if got := m[len(m)-1]; !got.LiveCounted || got.Live != 4 {
		t.Errorf("memory: %+v, want 4 live sessions counted", got)
	}
	if got := f[len(f)-1]; !got.LiveCounted || got.Live != 2 {
		t.Errorf("file: %+v, want 2 live client scopes counted", got)
	}
	// A storage that cannot count gets no point.
	if _, err := tc.dir.SetAppSettings(context.Background(), "shop", map[string]string{"clientStorage": "cookie"}); err != nil {
		t.Fatal(err)
	}
	if err := admin.NewLiveSampler(opts).Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := hist.Minutes("cookie"); c[len(c)-1].LiveCounted {
		t.Errorf("cookie counted: %+v", c[len(c)-1])
	}
}

// A storage whose count failed is left out of the samples for a while, so
// that a storage that is down does not add a failure to the Overview's
// recent errors every minute.
func TestLiveSamplerBacksOffAFailingStorage(t *testing.T) {
	hist := scopes.NewHistory(nil)
	var opts admin.Options
	tc := newTestConsoleOn(t, false, nil, func(o *admin.Options) {
		o.History = hist
		opts = *o
	})
	ctx := context.Background()
	if _, err := tc.dir.CreateApp(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	// Nothing listens on port 1: every count of this storage fails.
	if err := tc.mgr.Create(ctx, scopes.Connection{Name: "down", Type: "redis", Storage: true,
		Params: map[string]string{"url": "redis://127.0.0.1:1/0", "timeout": "100ms"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.dir.SetAppSettings(ctx, "shop", map[string]string{"sessionStorage": "down"}); err != nil {
		t.Fatal(err)
	}
	failures := func() int {
		n := 0
		for _, e := range tc.engine.RecentErrors() {
			if e.Storage == "down" {
				n += e.Count
			}
		}
		return n
	}
	// With the connections, the sampler checks the storages' health first,
	// keeps it for the lists, and leaves a storage that is down uncounted.
	if err := admin.NewLiveSampler(opts).Sample(ctx); err != nil {
		t.Fatal(err)
	}
	conns, err := tc.mgr.Connections(ctx)
	if err != nil || len(conns) != 1 || conns[0].Health.At.IsZero() || conns[0].Health.OK {
		t.Fatalf("the down storage's health after a sample: %+v, %v", conns, err)
	}
	if n := failures(); n != 0 {
		t.Errorf("%d count failures of a storage whose health check failed: it was counted anyway", n)
	}

	// Without them, a failed count keeps the storage out of the next samples.
	opts.Connections = nil
	s := admin.NewLiveSampler(opts)
	if err := s.Sample(ctx); err != nil {
		t.Fatal(err)
	}
	first := failures()
	if first == 0 {
		t.Fatal("the failed count is not among the recent errors")
	}
	for range 3 {
		if err := s.Sample(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := failures(); n != first {
		t.Errorf("%d failures after three more samples, want %d: the storage was asked again", n, first)
	}
}
