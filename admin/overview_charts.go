package admin

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// The plot of every chart, in SVG user units: one slot of chartSlot per
// minute. The SVG keeps this aspect ratio as it takes the width it is given,
// so that a chart stays as readable in a phone's column as in a quarter of a
// laptop's screen; its labels are HTML beside it, whose size the page sets.
const (
	chartSlot   = 5
	chartWidth  = scopes.HistoryMinutes * chartSlot
	chartHeight = 72
	// chartTop leaves room for the line's width above the axis's top.
	chartTop = 4
)

// storageCharts is one storage's last hour on the overview.
type storageCharts struct {
	Storage string
	// Ops and Errors are the hour's sums.
	Ops, Errors int64
	// Idle is set when no operation reached the storage in the hour: the
	// three charts of operations give way to one line that says so.
	Idle bool
	// Through names the instances whose operations the charts count.
	Through string
	// OpCharts are operations per second, errors per minute and p99.
	OpCharts []chartView
	Live     chartView
	// Rows are the numbers of the charts, newest first: the minutes that
	// have an operation or a count.
	Rows []minuteRow
}

// minuteRow is one minute in the table of numbers.
type minuteRow struct {
	Minute, Rate, Ops, Errors, P99, Live string
	// SoFar marks the current minute.
	SoFar bool
}

// chartView is one chart: its HTML labels and its SVG shapes.
type chartView struct {
	// Key names the chart in data-testid and CSS: ops, errors, p99, live.
	Key, ID string
	Label   string
	// Now is the value of the current minute (the latest count for live
	// scopes), NowTitle what it is.
	Now, NowTitle string
	// Top is the value at the top of the axis; the bottom is 0.
	Top string
	// Title is the SVG's <title>: what the chart shows, in a sentence.
	Title string
	// Line, Area and Bars draw the values; Dots mark values alone between
	// gaps, and the latest one; Bridge, dashed, joins values across gaps.
	Line, Area, Bridge string
	Bars               []svgRect
	Dots               []svgPoint
	// Before is the width of the part of the plot before the instance
	// started (0: it ran the whole hour).
	Before float64
	// Empty, when set, is written across an empty plot.
	Empty string
}

type svgRect struct{ X, Y, W, H float64 }

type svgPoint struct{ X, Y float64 }

// svgNum writes an SVG coordinate: at most 2 decimals, none when whole.
func svgNum(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }

// chartsFrom says whose measurements the charts show.
type chartsFrom struct {
	// Shared is set when the instances that share the config store publish
	// their measurements to each other (not on SQLite, which one instance
	// keeps).
	Shared bool
	// Others counts the other instances whose measurements are merged in.
	Others int
	// Err says why the others' measurements could not be read: the charts
	// show this instance's alone.
	Err string
}

// Instances writes how many instances the charts show: "3 instances, this
// one and 2 others sharing the config store".
func (f chartsFrom) Instances() string {
	switch f.Others {
	case 0:
		return "1 instance, this one: no other instance sharing the config store published a minute in the last hour"
	case 1:
		return "2 instances, this one and 1 other sharing the config store"
	}
	return strconv.Itoa(f.Others+1) + " instances, this one and " + strconv.Itoa(f.Others) + " others sharing the config store"
}

// through names whose operations a chart counts, after "through".
func (f chartsFrom) through() string {
	if f.Others == 0 {
		return "this instance"
	}
	return "any of the " + strconv.Itoa(f.Others+1) + " instances"
}

// othersTimeout bounds the reading of the other instances' measurements, as
// healthTimeout bounds the health checks.
const othersTimeout = 5 * time.Second

// charts returns the charts of the storages in use (in the order of
// storages), then of any other storage measured in the hour; notes are
// recordLive's (nil when nothing was counted). The other instances'
// measurements are merged in when the History has a Share; when they cannot
// be read the charts show this instance's, and say so.
func (a *Console) charts(ctx context.Context, storages []healthRow, notes map[string]liveNote) ([]storageCharts, chartsFrom) {
	from := chartsFrom{Shared: a.History.Share != nil}
	var others scopes.HistoryOthers
	if from.Shared {
		readCtx, cancel := context.WithTimeout(ctx, othersTimeout)
		o, err := a.History.Others(readCtx)
		cancel()
		if err != nil {
			a.Logger.Warn("could not read the other instances' measurements for the Overview's charts", "err", err)
			from.Err = scopes.ErrorMessage(err)
		} else {
			others, from.Others = o, o.Instances
		}
	}
	names := make([]string, 0, len(storages))
	for _, s := range storages {
		names = append(names, s.Name)
	}
	for _, n := range a.History.StoragesWith(others) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	out := make([]storageCharts, 0, len(names))
	for i, name := range names {
		out = append(out, buildCharts(strconv.Itoa(i), name, a.History.MinutesWith(name, others), noteFor(notes, name), from))
	}
	return out, from
}

// buildCharts draws one storage's minutes, measured by the instances from
// names; id makes the SVG ids unique on the page.
func buildCharts(id, storage string, minutes []scopes.HistoryMinute, note liveNote, from chartsFrom) storageCharts {
	sc := storageCharts{Storage: storage, Through: from.through()}
	for _, m := range minutes {
		sc.Ops += m.Ops
		sc.Errors += m.Errors
	}
	sc.Idle = sc.Ops == 0 && sc.Errors == 0
	before := 0.0
	for i, m := range minutes {
		if m.Seconds > 0 {
			before = float64(i * chartSlot)
			break
		}
	}
	cur := minutes[len(minutes)-1]
	on := " on " + storage

	rates := make([]float64, len(minutes))
	seen := make([]bool, len(minutes))
	for i, m := range minutes {
		rates[i], seen[i] = m.OpsPerSecond(), m.Seconds > 0
	}
	ops := lineChart(rates, seen, true, false, niceTop(slices.Max(rates)))
	ops.Key, ops.Label, ops.Top = "ops", "Operations / s", rateText(niceTop(slices.Max(rates)))+"/s"
	ops.Now, ops.NowTitle = rateText(cur.OpsPerSecond()), "Operations per second in the current minute, so far"
	ops.Title = "Operations per second" + on + ", minute by minute over the last hour: " +
		peakText(minutes, rates, seen, func(v float64) string { return rateText(v) + "/s" }) + "; now " + ops.Now + "/s."

	errs := make([]float64, len(minutes))
	for i, m := range minutes {
		errs[i] = float64(m.Errors)
	}
	errTop := max(niceTop(slices.Max(errs)), 1)
	errors := barChart(errs, errTop)
	errors.Key, errors.Label, errors.Top = "errors", "Errors / min", countText(int64(errTop), true)
	errors.Now, errors.NowTitle = countText(cur.Errors, true), "Storage errors in the current minute, so far"
	if sc.Errors == 0 {
		errors.Empty = "No errors"
		errors.Title = "Storage errors per minute" + on + " over the last hour: none."
	} else {
		errors.Title = "Storage errors per minute" + on + " over the last hour: " + countText(sc.Errors, true) + " in all, " +
			peakText(minutes, errs, seen, func(v float64) string { return countText(int64(v), true) }) + "; " +
			errors.Now + " in the current minute."
	}

	p99s := make([]float64, len(minutes))
	hasP99 := make([]bool, len(minutes))
	for i, m := range minutes {
		p99s[i], hasP99[i] = msOf(m.P99), m.Ops > 0
	}
	p99Top := niceTop(slices.Max(p99s))
	p99 := lineChart(p99s, hasP99, false, false, p99Top)
	p99.Key, p99.Label, p99.Top = "p99", "p99 latency", msText(p99Top)+" ms"
	p99.Now, p99.NowTitle = "–", "No operation in the current minute"
	if cur.Ops > 0 {
		p99.Now, p99.NowTitle = msText(msOf(cur.P99))+" ms", "The 99th percentile of the current minute's operations, so far"
	}
	p99.Title = "99th percentile latency" + on + ", minute by minute over the last hour: " +
		peakText(minutes, p99s, hasP99, func(v float64) string { return msText(v) + " ms" }) + "; now " + p99.Now + "."

	lives := make([]float64, len(minutes))
	counted := make([]bool, len(minutes))
	var latest *scopes.HistoryMinute
	for i, m := range minutes {
		lives[i], counted[i] = float64(m.Live), m.LiveCounted
		if m.LiveCounted {
			latest = &minutes[i]
		}
	}
	liveTop := max(niceTop(slices.Max(lives)), 1)
	// Counts are taken every minute (LiveSampler) and as the Overview
	// loads; a minute may miss one (a count that failed, a restart): a
	// dashed line joins them, so that the trend shows across the gap.
	live := lineChart(lives, counted, false, true, liveTop)
	live.Key, live.Label, live.Top = "live", "Live scopes", countText(int64(liveTop), true)
	if latest == nil {
		if note.Short == "" {
			note = liveNote{Short: "Not counted", Long: "Not counted in the last hour"}
		}
		live.Now, live.NowTitle = "–", note.Long
		live.Empty = note.Short
		live.Title = "Live scopes" + on + ": " + note.Long + "."
	} else {
		live.Now, live.NowTitle = countText(latest.Live, true), "Counted at "+latest.Start.UTC().Format("15:04")+" UTC"
		live.Title = "Live sessions and client scopes" + on + ", counted every minute over the last hour: " +
			peakText(minutes, lives, counted, func(v float64) string { return countText(int64(v), true) }) +
			"; latest " + live.Now + " at " + latest.Start.UTC().Format("15:04") + " UTC."
		if note.Long != "" {
			live.Title += " " + note.Long + "."
		}
	}

	sc.OpCharts = []chartView{ops, errors, p99}
	sc.Live = live
	for i := range sc.OpCharts {
		sc.OpCharts[i].ID, sc.OpCharts[i].Before = "chart-"+id+"-"+sc.OpCharts[i].Key, before
	}
	sc.Live.ID, sc.Live.Before = "chart-"+id+"-live", before

	for i := len(minutes) - 1; i >= 0; i-- {
		m := minutes[i]
		if m.Ops == 0 && m.Errors == 0 && !m.LiveCounted {
			continue
		}
		row := minuteRow{Minute: m.Start.UTC().Format("15:04"), Rate: rateText(m.OpsPerSecond()),
			Ops: countText(m.Ops, true), Errors: countText(m.Errors, true), P99: "–", Live: "–"}
		if m.Ops > 0 {
			row.P99 = msText(msOf(m.P99)) + " ms"
		}
		if m.LiveCounted {
			row.Live = countText(m.Live, true)
		}
		row.SoFar = i == len(minutes)-1
		sc.Rows = append(sc.Rows, row)
	}
	return sc
}

// peakText names the highest value and its minute: "peak 41 at 12:05 UTC".
func peakText(minutes []scopes.HistoryMinute, vs []float64, ok []bool, format func(float64) string) string {
	best := -1
	for i, v := range vs {
		if ok[i] && (best < 0 || v > vs[best]) {
			best = i
		}
	}
	if best < 0 {
		return "no measurement"
	}
	return "peak " + format(vs[best]) + " at " + minutes[best].Start.UTC().Format("15:04") + " UTC"
}

// chartX is the middle of minute i's slot.
func chartX(i int) float64 { return float64(i*chartSlot) + chartSlot/2.0 }

// chartY is where v falls on an axis from 0 (the bottom) to top.
func chartY(v, top float64) float64 {
	if top <= 0 {
		return chartHeight
	}
	return chartHeight - min(v/top, 1)*(chartHeight-chartTop)
}

// lineChart draws vs as a line broken where ok is false, with the area
// under it filled when area is set and the gaps bridged by a dashed line
// when bridge is; a value alone between two gaps, and the latest value, get
// a dot.
func lineChart(vs []float64, ok []bool, area, bridge bool, top float64) chartView {
	var c chartView
	var line, fill, across strings.Builder
	if bridge {
		for i := range vs {
			if ok[i] {
				cmd := "L"
				if across.Len() == 0 {
					cmd = "M"
				}
				across.WriteString(cmd + svgNum(chartX(i)) + " " + svgNum(chartY(vs[i], top)) + " ")
			}
		}
	}
	last := -1
	for i := range vs {
		if ok[i] {
			last = i
		}
	}
	for i := 0; i < len(vs); {
		if !ok[i] {
			i++
			continue
		}
		j := i
		for j < len(vs) && ok[j] {
			j++
		}
		// A run of minutes i..j-1 with values.
		if j-i == 1 && i != last {
			c.Dots = append(c.Dots, svgPoint{chartX(i), chartY(vs[i], top)})
		}
		for k := i; k < j; k++ {
			cmd := "L"
			if k == i {
				cmd = "M"
			}
			line.WriteString(cmd + svgNum(chartX(k)) + " " + svgNum(chartY(vs[k], top)) + " ")
		}
		if area {
			fill.WriteString("M" + svgNum(chartX(i)) + " " + svgNum(chartHeight) + " ")
			for k := i; k < j; k++ {
				fill.WriteString("L" + svgNum(chartX(k)) + " " + svgNum(chartY(vs[k], top)) + " ")
			}
			fill.WriteString("L" + svgNum(chartX(j-1)) + " " + svgNum(chartHeight) + " Z ")
		}
		i = j
	}
	if last >= 0 {
		c.Dots = append(c.Dots, svgPoint{chartX(last), chartY(vs[last], top)})
	}
	c.Line, c.Area, c.Bridge = strings.TrimSpace(line.String()), strings.TrimSpace(fill.String()), strings.TrimSpace(across.String())
	return c
}

// barChart draws vs as one bar per minute; a zero draws none.
func barChart(vs []float64, top float64) chartView {
	var c chartView
	for i, v := range vs {
		if v <= 0 {
			continue
		}
		yy := chartY(v, top)
		// At least a pixel high, so that one error among thousands shows.
		h := max(chartHeight-yy, 1.5)
		c.Bars = append(c.Bars, svgRect{X: float64(i*chartSlot) + 0.75, Y: chartHeight - h, W: chartSlot - 1.5, H: h})
	}
	return c
}

// niceTop rounds v up to a round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8
// times a power of ten), the top of an axis that holds it with little room
// to spare; 0 stays 0.
func niceTop(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// msOf is d in milliseconds.
func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// rateText writes a rate with the digits it deserves: "0", "0.05", "2.5",
// "41", "1,234".
func rateText(v float64) string {
	switch {
	case v <= 0:
		return "0"
	case v < 0.1:
		return trimZeros(strconv.FormatFloat(v, 'f', 2, 64))
	case v < 10:
		return trimZeros(strconv.FormatFloat(v, 'f', 1, 64))
	}
	return countText(int64(math.Round(v)), true)
}

// msText writes milliseconds as rateText does, with one more digit under 1:
// "0.12", "3.4", "120".
func msText(v float64) string {
	if v > 0 && v < 1 {
		return trimZeros(strconv.FormatFloat(v, 'f', 2, 64))
	}
	return rateText(v)
}

// trimZeros drops the zeros that end a decimal fraction, and its point.
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// liveNote says why a storage's chart of live scopes has no point this
// minute: Short across the empty plot, Long in its title. Both are empty for
// a storage that was counted.
type liveNote struct {
	Short, Long string
	// Failed tells that the storage's count failed, rather than that it
	// cannot count at all.
	Failed bool
}

// recordLive records the live scopes the overview just counted, per
// storage, as this minute's point of the charts, and returns a note for
// every storage the counts reached: a storage with a count that failed gets
// no point rather than a sum that leaves that count out, and one that
// cannot count gets none.
func (a *Console) recordLive(apps []overviewApp) map[string]liveNote {
	sums := map[string]int64{}
	notes := map[string]liveNote{}
	for _, app := range apps {
		for _, k := range scopes.Kinds {
			c := app.Sessions
			if k == scopes.Client {
				c = app.Clients
			}
			name := app.Settings.Of(k).Storage
			switch {
			case c.Off:
			case c.Uncountable:
				notes[name] = liveNote{Short: "Cannot be counted", Long: "Scopes kept in this storage cannot be counted"}
			case c.Err != "":
				notes[name] = liveNote{Short: "Count unavailable", Long: "The count failed as this page loaded: " + c.Err, Failed: true}
			default:
				sums[name] += c.N
			}
		}
	}
	for name, n := range sums {
		if _, failed := notes[name]; !failed {
			notes[name] = liveNote{}
			a.History.RecordLive(name, n)
		}
	}
	return notes
}

// noteFor is the note of a storage the counts did not reach.
func noteFor(notes map[string]liveNote, name string) liveNote {
	if n, ok := notes[name]; ok {
		return n
	}
	if notes == nil {
		return liveNote{Short: "Not counted", Long: "This console counts no scopes"}
	}
	return liveNote{Short: "No sessions or client scopes here",
		Long: "No application keeps its sessions or client scopes in this storage now, so the Overview counts none here"}
}

// pluralOf picks the word for n.
func pluralOf(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
