package runner

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// grid is a table to render as aligned text or as Markdown: the first
// column left-aligned, the others right-aligned.
type grid struct {
	header []string
	rows   [][]string
}

func (t *grid) add(cells ...string) { t.rows = append(t.rows, cells) }

// text renders the grid with two spaces between columns, each line
// prefixed by indent. A row shorter than the header is its first cell,
// aligned, then the rest as they are (a note spanning the row).
func (t *grid) text(w io.Writer, indent string) {
	widths := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			if len(r) == len(t.header) || i == 0 {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	for _, r := range append([][]string{t.header}, t.rows...) {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range r {
			pad := strings.Repeat(" ", max(0, widths[i]-utf8.RuneCountInString(c)))
			switch {
			case i == 0:
				b.WriteString(c + pad)
			case len(r) < len(t.header):
				b.WriteString("  " + strings.Join(r[i:], "  "))
			default:
				b.WriteString("  " + pad + c)
			}
			if i > 0 && len(r) < len(t.header) {
				break
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// markdown renders the grid as a GitHub-flavored Markdown table. A row of
// one cell spans the table (its other cells empty).
func (t *grid) markdown(w io.Writer) {
	row := func(cells []string) {
		out := make([]string, len(t.header))
		for i := range out {
			if i < len(cells) {
				out[i] = strings.ReplaceAll(cells[i], "|", `\|`)
			}
		}
		fmt.Fprintln(w, "| "+strings.Join(out, " | ")+" |")
	}
	row(t.header)
	sep := make([]string, len(t.header))
	for i := range sep {
		sep[i] = "---:"
		if i == 0 {
			sep[i] = "---"
		}
	}
	fmt.Fprintln(w, "|"+strings.Join(sep, "|")+"|")
	for _, r := range t.rows {
		row(r)
	}
}

// formatNs writes a duration in nanoseconds with three significant digits
// and a unit that suits it.
func formatNs(ns float64) string {
	switch {
	case ns <= 0:
		return "—"
	// The bounds are where three digits round up to the next unit.
	case ns < 999.5:
		return sig3(ns) + " ns"
	case ns < 999.5e3:
		return sig3(ns/1e3) + " µs"
	case ns < 999.5e6:
		return sig3(ns/1e6) + " ms"
	default:
		return sig3(ns/1e9) + " s"
	}
}

// sig3 formats v (at least 1) with three significant digits.
func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// formatRatio writes a ratio such as "23×" or "0.48×".
func formatRatio(r *float64) string {
	if r == nil {
		return ""
	}
	switch v := *r; {
	case v < 0.1:
		return fmt.Sprintf("%.2g×", v)
	case v >= 100:
		return fmt.Sprintf("%.0f×", v)
	case v >= 10:
		return fmt.Sprintf("%.1f×", v)
	default:
		return fmt.Sprintf("%.2f×", v)
	}
}

// formatCount writes n with thousands separators.
func formatCount(n float64) string {
	s := fmt.Sprintf("%.0f", math.Round(n))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatAllocs writes allocations per operation.
func formatAllocs(v float64) string {
	switch {
	case v >= 1000:
		return formatCount(v)
	case v >= 10:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

// formatBytes writes a size in binary units.
func formatBytes(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.0f KiB", b/(1<<10))
	default:
		return fmt.Sprintf("%.0f B", b)
	}
}

// scenarioGrid is a guest's scenarios as a table, skipped ones left out
// (they are listed after it).
func scenarioGrid(g *Guest) *grid {
	t := &grid{header: []string{"scenario", "iterations", "p50", "p90", "p99", "max", "mean", "allocs/op", "× native", "× best peer"}}
	for _, s := range g.Scenarios {
		switch s.Status {
		case StatusSkipped:
			continue
		case StatusFailed:
			if s.Iterations == 0 {
				t.add(s.Name, "failed: "+s.Reason)
				continue
			}
		}
		peer := formatRatio(s.VsBestPeer)
		if peer != "" && s.Kind == KindFlint {
			peer += " " + s.BestPeer
		}
		name := s.Name
		if s.OpsPerSample > 1 {
			name += "*"
		}
		if s.Status == StatusFailed {
			name += " (failed)"
		}
		t.add(name, formatCount(float64(s.Iterations)), formatNs(s.P50Ns), formatNs(s.P90Ns), formatNs(s.P99Ns),
			formatNs(s.MaxNs), formatNs(s.MeanNs), formatAllocs(s.AllocsPerOp), formatRatio(s.VsNative), peer)
	}
	return t
}

// engineLine says what the engine counted for the Flint scenarios, which
// shows each did what its name says.
func engineLine(g *Guest) string {
	var parts []string
	for _, s := range g.Scenarios {
		if s.Engine == nil || s.Status != StatusOK {
			continue
		}
		e := s.Engine
		parts = append(parts, fmt.Sprintf("%s %d cold/%d prewarmed/%d recycled", s.Name, e.ColdStarts, e.Prewarmed, e.Recycled))
	}
	if len(parts) == 0 {
		return ""
	}
	return "engine counters over the timed calls: " + strings.Join(parts, "; ")
}

func memoryLine(g *Guest) string {
	m := g.Memory
	if m == nil {
		return ""
	}
	s := fmt.Sprintf("memory: %s linear memory per instance; an idle instance adds %s of Go heap",
		formatBytes(float64(m.LinearBytesPerInstance)), formatBytes(m.HeapBytesPerInstance))
	if m.ResidentBytesPerInstance != nil {
		s += fmt.Sprintf(" and %s resident (PSS)", formatBytes(*m.ResidentBytesPerInstance))
	}
	if m.InstancesPerGiB > 0 {
		s += fmt.Sprintf(": about %s idle instances per GiB", formatCount(m.InstancesPerGiB))
	}
	return s + fmt.Sprintf(" (over %d instances)", m.Instances)
}

func levelGrid(g *Guest) *grid {
	t := &grid{header: []string{"callers", "requests", "req/s", "p50", "p90", "p99", "max", "cold starts", "errors"}}
	for _, l := range g.Concurrency {
		if l.Status != StatusOK {
			t.add(fmt.Sprint(l.Concurrency), l.Status+": "+l.Reason)
			continue
		}
		t.add(fmt.Sprint(l.Concurrency), formatCount(float64(l.Requests)), formatCount(l.ThroughputPerSec),
			formatNs(l.P50Ns), formatNs(l.P90Ns), formatNs(l.P99Ns), formatNs(l.MaxNs),
			fmt.Sprint(l.ColdStarts), fmt.Sprint(l.Errors))
	}
	return t
}

func httpGrid(g *Guest) *grid {
	t := &grid{header: []string{"target", "connections", "requests", "req/s", "p50", "p90", "p99", "max", "cold starts", "errors"}}
	for _, h := range g.HTTP {
		if h.Status != StatusOK {
			t.add(h.Target, fmt.Sprint(h.Concurrency), h.Status+": "+h.Reason)
			continue
		}
		t.add(h.Target, fmt.Sprint(h.Concurrency), formatCount(float64(h.Requests)), formatCount(h.RequestsPerSec),
			formatNs(h.P50Ns), formatNs(h.P90Ns), formatNs(h.P99Ns), formatNs(h.MaxNs),
			fmt.Sprint(h.ColdStarts), fmt.Sprint(h.Non2xx+h.SocketErrors))
	}
	return t
}

func (r *Report) title() string {
	commit := ""
	if r.Flint.Commit != "" {
		commit = " (" + r.Flint.Commit + ")"
	}
	return fmt.Sprintf("flint %s%s, %s, wazero %s; %s",
		orUnknown(r.Flint.Version), commit, orUnknown(r.Flint.GoVersion), orUnknown(r.Flint.Wazero),
		r.Date.Format("2006-01-02 15:04 MST"))
}

func (r *Report) machineLine() string {
	m := r.Machine
	return fmt.Sprintf("%s/%s, %d × %s, %s RAM, kernel %s", m.OS, m.Arch, m.CPUs, m.CPUModel,
		formatBytes(float64(m.MemoryBytes)), m.Kernel)
}

func (r *Report) settingsLine() string {
	s := r.Settings
	how := fmt.Sprintf("each scenario measured for %v", fmtDuration(s.DurationNs))
	if s.Iterations > 0 {
		how = fmt.Sprintf("each scenario timed for %d operations", s.Iterations)
	}
	return how + "; * = operations timed in groups (see notes)"
}

func fmtDuration(ns int64) string { return formatNs(float64(ns)) }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// skippedLines lists a guest's skipped scenarios with the reasons, one
// line per reason ("extism-cold, extism-warm skipped: ...").
func skippedLines(g *Guest) []string {
	var reasons []string
	byReason := map[string][]string{}
	for _, s := range g.Scenarios {
		if s.Status == StatusSkipped {
			if byReason[s.Reason] == nil {
				reasons = append(reasons, s.Reason)
			}
			byReason[s.Reason] = append(byReason[s.Reason], s.Name)
		}
	}
	out := make([]string, 0, len(reasons))
	for _, r := range reasons {
		out = append(out, fmt.Sprintf("%s skipped: %s", strings.Join(byReason[r], ", "), r))
	}
	return out
}

// usedScenarios lists the scenarios that appear in the report, in the
// order the runner takes them, for the legend.
func (r *Report) usedScenarios() []string {
	used := map[string]bool{}
	for _, g := range r.Guests {
		for _, s := range g.Scenarios {
			if s.Status != StatusSkipped {
				used[s.Name] = true
			}
		}
	}
	var out []string
	for _, name := range scenarioOrder {
		if used[name] {
			out = append(out, name)
		}
	}
	return out
}

func guestLine(g *Guest) string {
	return fmt.Sprintf("%s (%s, %s, payload %s; snapshot %s)", g.Name, g.Source,
		formatBytes(float64(g.CodeBytes)), formatBytes(float64(g.PayloadBytes)), orUnknown(g.Snapshot))
}

// WriteTable writes the report as aligned text tables: per guest its
// scenarios with ratios to the native floor and the best peer, memory,
// concurrency and HTTP levels; then what each scenario means, and notes.
func WriteTable(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintln(ew, r.title())
	fmt.Fprintln(ew, r.machineLine())
	fmt.Fprintln(ew, r.settingsLine())
	for i := range r.Guests {
		g := &r.Guests[i]
		fmt.Fprintln(ew)
		fmt.Fprintln(ew, guestLine(g))
		scenarioGrid(g).text(ew, "  ")
		for _, l := range append(skippedLines(g), engineLine(g), memoryLine(g)) {
			if l != "" {
				fmt.Fprintln(ew, "  "+l)
			}
		}
		if len(g.Concurrency) > 0 {
			fmt.Fprintln(ew, "  concurrent callers, in-process engine.Invoke:")
			levelGrid(g).text(ew, "    ")
		}
		if len(g.HTTP) > 0 {
			fmt.Fprintln(ew, "  HTTP, wrk over loopback:")
			httpGrid(g).text(ew, "    ")
		}
	}
	fmt.Fprintln(ew)
	fmt.Fprintln(ew, "What each row measures:")
	for _, l := range r.legend() {
		fmt.Fprintf(ew, "  %-16s %s\n", l.name, l.description)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(ew, "Notes:")
		for _, n := range r.Notes {
			fmt.Fprintln(ew, "  - "+n)
		}
	}
	return ew.err
}

// WriteMarkdown writes the report as Markdown for pasting: a heading per
// guest (level 3) and the same tables as WriteTable.
func WriteMarkdown(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s  \n%s  \n%s\n", r.title(), r.machineLine(), r.settingsLine())
	for i := range r.Guests {
		g := &r.Guests[i]
		fmt.Fprintf(ew, "\n### %s\n\n", g.Name)
		fmt.Fprintln(ew, guestLine(g))
		fmt.Fprintln(ew)
		scenarioGrid(g).markdown(ew)
		fmt.Fprintln(ew)
		for _, l := range append(skippedLines(g), engineLine(g), memoryLine(g)) {
			if l != "" {
				fmt.Fprintln(ew, "- "+l)
			}
		}
		if len(g.Concurrency) > 0 {
			fmt.Fprintf(ew, "\nConcurrent callers, in-process `engine.Invoke`:\n\n")
			levelGrid(g).markdown(ew)
		}
		if len(g.HTTP) > 0 {
			fmt.Fprintf(ew, "\nHTTP, wrk over loopback:\n\n")
			httpGrid(g).markdown(ew)
		}
	}
	fmt.Fprintf(ew, "\nWhat each row measures:\n\n")
	for _, l := range r.legend() {
		fmt.Fprintf(ew, "- **%s**: %s\n", l.name, l.description)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(ew, "\nNotes:\n\n")
		for _, n := range r.Notes {
			fmt.Fprintln(ew, "- "+n)
		}
	}
	return ew.err
}

func hasHTTP(r *Report) bool {
	for _, g := range r.Guests {
		if len(g.HTTP) > 0 {
			return true
		}
	}
	return false
}

// errWriter keeps the first write error, so that a run of Fprintf calls
// needs one check.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// legendEntry is one row of the legend: a scenario or HTTP target and what
// it measures.
type legendEntry struct{ name, description string }

// legend lists the scenarios the report used, then the HTTP targets if it
// measured any: what WriteTable and WriteMarkdown explain under the tables.
func (r *Report) legend() []legendEntry {
	var out []legendEntry
	for _, name := range r.usedScenarios() {
		out = append(out, legendEntry{name, Description(name)})
	}
	if hasHTTP(r) {
		for _, t := range httpTargets {
			out = append(out, legendEntry{t, HTTPDescription(t)})
		}
	}
	return out
}
