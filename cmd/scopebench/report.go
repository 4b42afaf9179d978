package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What a Result's ratio divides.
const (
	kindThroughput = iota // ops/s over the baseline's ops/s
	kindLatency           // p99 over the baseline's p99
	kindRSS               // MiB more than the baseline
	kindHeap              // heap bytes per scope over the data's bytes
)

// Result is one row of the table, and one object of the -json file.
type Result struct {
	Scenario          string  `json:"scenario"`
	OpsPerSec         float64 `json:"ops_per_sec"`
	P50ms             float64 `json:"p50_ms"`
	P99ms             float64 `json:"p99_ms"`
	Baseline          string  `json:"baseline"`
	BaselineOpsPerSec float64 `json:"baseline_ops_per_sec"`
	BaselineP99ms     float64 `json:"baseline_p99_ms"`
	Ratio             float64 `json:"ratio"`
	Target            string  `json:"target"`
	Met               bool    `json:"met"`

	kind                int
	note                string
	err                 error
	rssBefore, rssAfter float64
	heapPerScope        float64
}

// report is what a run prints.
type report struct {
	cfg          config
	machine      string
	results      []Result
	measurements []*stats
	// notes are the run's own notes, printed after the results' notes:
	// scenarios skipped, and what was measured for context alone.
	notes []string
}

// sortResults puts the results in the order.
func (r *report) sortResults() {
	names := scenarioNames()
	slices.SortStableFunc(r.results, func(a, b Result) int {
		return slices.Index(names, a.Scenario) - slices.Index(names, b.Scenario)
	})
}

func (r *report) writeMarkdown(w io.Writer) {
	c := r.cfg
	fmt.Fprintf(w, "\nscopebench %s: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), r.machine)
	fmt.Fprintf(w, "-clients %d -size %d -duration %s -rounds %d -warmup %s -rows %d -cache-ttl %s\n\n",
		c.Clients, c.Size, c.Duration, c.Rounds, c.Warmup, c.Rows, c.CacheTTL)
	fmt.Fprintln(w, "| scenario | ops/s | p50 ms | p99 ms | baseline | baseline ops/s | baseline p99 | ratio | target | met |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---:|---:|---:|---|---|")
	for _, res := range r.results {
		cells := res.cells()
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	var notes []string
	for _, res := range r.results {
		switch {
		case res.err != nil:
			notes = append(notes, fmt.Sprintf("%s: **error**: %v", res.Scenario, res.err))
		case res.note != "":
			notes = append(notes, res.Scenario+": "+res.note)
		}
	}
	notes = append(notes, r.notes...)
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
	if len(r.measurements) > 0 {
		fmt.Fprintln(w, "\nEvery measurement of the run (raw-redis, raw-redis-cluster and raw-mysql: the backend's load+save cycle in process, no HTTP):")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| measurement | ops/s | p50 ms | p99 ms | p99.9 ms | max ms | ops |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
		for _, s := range r.measurements {
			maxMs := 0.0
			if len(s.lat) > 0 {
				maxMs = float64(s.lat[len(s.lat)-1]) / float64(time.Millisecond)
			}
			fmt.Fprintf(w, "| %s | %s | %.2f | %.2f | %.2f | %.2f | %d |\n", s.name, thousands(s.opsPerSec()), s.p(50), s.p(99), s.p(99.9), maxMs, s.ops)
		}
	}
}

// cells are the table's columns for one result.
func (res Result) cells() []string {
	const none = "—"
	met := "yes"
	switch {
	case res.Target == noTarget:
		met = none // measured for context: there is nothing to meet
	case !res.Met:
		met = "**no**"
	}
	if res.err != nil {
		return []string{res.Scenario, none, none, none, orNone(res.Baseline), none, none, none, res.Target, "**error**"}
	}
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	switch res.kind {
	case kindRSS:
		return []string{res.Scenario, fmt.Sprintf("%.1f MiB", res.rssAfter), none, none,
			fmt.Sprintf("%s (%.1f MiB)", res.Baseline, res.rssBefore), none, none, fmt.Sprintf("%+.1f MiB", res.Ratio), res.Target, met}
	case kindHeap:
		return []string{res.Scenario, fmt.Sprintf("%.0f B/scope", res.heapPerScope), none, none,
			res.Baseline, none, none, fmt.Sprintf("%.2f", res.Ratio), res.Target, met}
	}
	return []string{res.Scenario, thousands(res.OpsPerSec), ms(res.P50ms), ms(res.P99ms), res.Baseline,
		thousands(res.BaselineOpsPerSec), ms(res.BaselineP99ms), fmt.Sprintf("%.2f", res.Ratio), res.Target, met}
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// thousands formats a rate with thousands separators: 12,345.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// writeJSON writes the results as the issue specifies them.
func (r *report) writeJSON(path string) error {
	results := r.results
	if results == nil {
		results = []Result{}
	}
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("-json: %w", err)
	}
	return nil
}
