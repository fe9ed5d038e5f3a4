package runner

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Chart geometry, in SVG user units (pixels).
const (
	chartWidth   = 1000
	chartLeft    = 260 // where plots start: row labels go left of it
	chartRight   = 960
	rowHeight    = 18
	panelGap     = 56
	tputHeight   = 300
	legendHeight = 58
)

// classColors color the latency rows by what they are.
var classColors = []struct{ key, color, label string }{
	{"flint/" + ClassCompile, "#7b3294", "Flint: compile, restart"},
	{"flint/" + ClassFresh, "#e66101", "Flint: fresh instance per request"},
	{"flint/" + ClassWarm, "#1f78b4", "Flint: warm"},
	{KindNative, "#636363", "native Go (floor)"},
	{KindPeer, "#33a02c", "peers (wazero, Extism)"},
}

func rowColor(s *Scenario) string {
	key := s.Kind
	if s.Kind == KindFlint {
		key = "flint/" + s.Class
	}
	for _, c := range classColors {
		if c.key == key {
			return c.color
		}
	}
	return "#000000"
}

// guestColors color the throughput series by guest.
var guestColors = []string{"#1f78b4", "#e66101", "#33a02c", "#7b3294", "#b15928", "#e7298a"}

// seriesStyles are the throughput series' line styles, by target.
var seriesStyles = []struct{ target, dash, label string }{
	{"in-process", "", "in-process Invoke"},
	{TargetInvokeAPI, "7,4", "HTTP Invoke API"},
	{TargetFunctionURL, "2,3", "HTTP function URL"},
	{TargetBare, "9,3,2,3", "HTTP bare server"},
}

// svg accumulates the drawing.
type svg struct{ b bytes.Buffer }

func (s *svg) f(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

func esc(text string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(text))
	return b.String()
}

// WriteChart draws the report as an SVG image: the latency distribution of
// every scenario on a logarithmic axis (box from the 25th to the 75th
// percentile, median line, whisker from the minimum to the 99th
// percentile, dot at the maximum), then, when the run had concurrency
// levels, requests per second against concurrent callers, in-process and
// over HTTP. Its groups have ids: "latency", "latency-axis",
// "throughput", "throughput-axis" and "legend".
func WriteChart(w io.Writer, r *Report) error {
	type row struct {
		header string // a guest's name, for a header row
		s      *Scenario
	}
	var rows []row
	lo, hi := math.Inf(1), math.Inf(-1)
	for gi := range r.Guests {
		g := &r.Guests[gi]
		rows = append(rows, row{header: g.Name})
		for si := range g.Scenarios {
			s := &g.Scenarios[si]
			if s.Iterations == 0 || s.P50Ns <= 0 {
				continue
			}
			rows = append(rows, row{s: s})
			lo, hi = math.Min(lo, s.MinNs), math.Max(hi, s.MaxNs)
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 1e3, 1e6
	}
	decLo := math.Floor(math.Log10(math.Max(lo, 1)))
	decHi := math.Ceil(math.Log10(math.Max(hi, 10)))
	if decHi <= decLo {
		decHi = decLo + 1
	}
	xOf := func(ns float64) float64 {
		v := (math.Log10(math.Max(ns, 1)) - decLo) / (decHi - decLo)
		return chartLeft + v*(chartRight-chartLeft)
	}

	hasTput := false
	for _, g := range r.Guests {
		if len(g.Concurrency) > 0 || len(g.HTTP) > 0 {
			hasTput = true
		}
	}
	latTop := 82.0
	latBottom := latTop + float64(len(rows)*rowHeight)
	height := latBottom + 40 + legendHeight
	tputTop := height + panelGap - 20
	if hasTput {
		height = tputTop + tputHeight + 70
	}

	var s svg
	s.f(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	s.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		chartWidth, height, chartWidth, height)
	s.f(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	s.f(`<text x="20" y="28" font-size="17" font-weight="bold">%s</text>`+"\n", esc("flint bench: latency per operation (log scale)"))
	s.f(`<text x="20" y="48" font-size="11" fill="#555555">%s</text>`+"\n", esc(r.title()+" — "+r.machineLine()))

	// Axis and grid.
	s.f(`<g id="latency-axis">` + "\n")
	for d := decLo; d <= decHi; d++ {
		x := xOf(math.Pow(10, d))
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bbbbbb" stroke-width="1"/>`+"\n", x, latTop-6, x, latBottom)
		s.f(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#333333">%s</text>`+"\n", x, latTop-10, esc(decadeLabel(d)))
		s.f(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#333333">%s</text>`+"\n", x, latBottom+16, esc(decadeLabel(d)))
		if d == decHi {
			break
		}
		for _, m := range []float64{2, 3, 4, 5, 6, 7, 8, 9} {
			xm := xOf(m * math.Pow(10, d))
			color := "#eeeeee"
			if m == 2 || m == 5 {
				color = "#dddddd"
			}
			s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`+"\n", xm, latTop, xm, latBottom, color)
		}
	}
	s.f(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`+"\n", chartLeft, latBottom, chartRight, latBottom)
	s.f(`<text x="%d" y="%.1f" text-anchor="middle" fill="#333333">%s</text>`+"\n", (chartLeft+chartRight)/2, latBottom+32,
		esc("time per operation (logarithmic)"))
	s.f("</g>\n")

	// Rows.
	s.f(`<g id="latency">` + "\n")
	for i, rw := range rows {
		y := latTop + float64(i*rowHeight)
		mid := y + rowHeight/2
		if rw.header != "" {
			s.f(`<text x="20" y="%.1f" font-weight="bold" font-size="13">%s</text>`+"\n", mid+4, esc(rw.header))
			s.f(`<line x1="20" y1="%.1f" x2="%d" y2="%.1f" stroke="#cccccc"/>`+"\n", y+rowHeight-1, chartRight, y+rowHeight-1)
			continue
		}
		sc := rw.s
		color := rowColor(sc)
		if i%2 == 0 {
			s.f(`<rect x="30" y="%.1f" width="%d" height="%d" fill="#f7f7f7"/>`+"\n", y, chartRight-30, rowHeight)
		}
		label := sc.Name
		if sc.Status == StatusFailed {
			label += " (failed)"
		}
		s.f(`<g class="row" data-scenario="%s">`+"\n", esc(sc.Name))
		s.f(`<text x="36" y="%.1f">%s</text>`+"\n", mid+4, esc(label))
		s.f(`<text x="%d" y="%.1f" text-anchor="end" fill="#555555" font-size="11">%s</text>`+"\n", chartLeft-8, mid+4, esc(formatNs(sc.P50Ns)))
		x0, x99 := xOf(sc.MinNs), xOf(sc.P99Ns)
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2"/>`+"\n", x0, mid, x99, mid, color)
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2"/>`+"\n", x99, mid-4, x99, mid+4, color)
		x25, x75 := xOf(sc.P25Ns), xOf(sc.P75Ns)
		s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s" fill-opacity="0.35" stroke="%s"/>`+"\n",
			x25, mid-5, math.Max(x75-x25, 1), 10, color, color)
		x50 := xOf(sc.P50Ns)
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"/>`+"\n", x50, mid-6, x50, mid+6, color)
		s.f(`<circle cx="%.1f" cy="%.1f" r="2.5" fill="none" stroke="%s"/>`+"\n", xOf(sc.MaxNs), mid, color)
		s.f("</g>\n")
	}
	s.f("</g>\n")

	// Legend.
	ly := latBottom + 48
	s.f(`<g id="legend">` + "\n")
	x := 20.0
	for _, c := range classColors {
		s.f(`<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s" fill-opacity="0.6" stroke="%s"/>`+"\n", x, ly, c.color, c.color)
		s.f(`<text x="%.1f" y="%.1f">%s</text>`+"\n", x+17, ly+10, esc(c.label))
		x += 30 + float64(7*len(c.label))
	}
	s.f(`<text x="20" y="%.1f" fill="#333333">%s</text>`+"\n", ly+32,
		esc("box: 25th–75th percentile; thick line: median (value at left); whisker: minimum to 99th percentile; circle: maximum"))
	s.f("</g>\n")

	if hasTput {
		writeThroughput(&s, r, tputTop)
	}
	s.f("</svg>\n")
	_, err := w.Write(s.b.Bytes())
	return err
}

// decadeLabel names 10^d nanoseconds: "100 ns", "1 µs", "10 ms".
func decadeLabel(d float64) string {
	v := math.Pow(10, d)
	switch {
	case v < 1e3:
		return fmt.Sprintf("%.0f ns", v)
	case v < 1e6:
		return fmt.Sprintf("%.0f µs", v/1e3)
	case v < 1e9:
		return fmt.Sprintf("%.0f ms", v/1e6)
	default:
		return fmt.Sprintf("%.0f s", v/1e9)
	}
}

// point is one throughput measurement.
type point struct {
	c   int
	rps float64
}

// writeThroughput draws requests per second against concurrency, with a
// logarithmic y axis, a series per guest and target.
func writeThroughput(s *svg, r *Report, top float64) {
	left, right := float64(chartLeft), float64(chartRight)
	bottom := top + tputHeight
	plotTop := top + 40
	type series struct {
		guest  int
		target string
		pts    []point
	}
	var all []series
	levels := map[int]bool{}
	lo, hi := math.Inf(1), math.Inf(-1)
	add := func(gi int, target string, c int, rps float64) {
		if rps <= 0 {
			return
		}
		levels[c] = true
		lo, hi = math.Min(lo, rps), math.Max(hi, rps)
		for i := range all {
			if all[i].guest == gi && all[i].target == target {
				all[i].pts = append(all[i].pts, point{c, rps})
				return
			}
		}
		all = append(all, series{guest: gi, target: target, pts: []point{{c, rps}}})
	}
	for gi, g := range r.Guests {
		for _, l := range g.Concurrency {
			if l.Status == StatusOK {
				add(gi, "in-process", l.Concurrency, l.ThroughputPerSec)
			}
		}
		for _, h := range g.HTTP {
			if h.Status == StatusOK {
				add(gi, h.Target, h.Concurrency, h.RequestsPerSec)
			}
		}
	}
	s.f(`<text x="20" y="%.1f" font-size="17" font-weight="bold">%s</text>`+"\n", top+8, esc("Throughput vs concurrent callers (requests/s, log scale)"))
	if len(all) == 0 {
		s.f(`<g id="throughput-axis"></g><g id="throughput"><text x="20" y="%.1f">%s</text></g>`+"\n", top+40, esc("no throughput measured"))
		return
	}
	var cs []int
	for c := range levels {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	xOf := func(c int) float64 {
		if len(cs) == 1 {
			return (left + right) / 2
		}
		i := 0
		for i < len(cs) && cs[i] != c {
			i++
		}
		return left + 30 + float64(i)*(right-left-60)/float64(len(cs)-1)
	}
	decLo := math.Floor(math.Log10(lo))
	decHi := math.Ceil(math.Log10(hi))
	if decHi <= decLo {
		decHi = decLo + 1
	}
	yOf := func(v float64) float64 {
		return bottom - (math.Log10(v)-decLo)/(decHi-decLo)*(bottom-plotTop)
	}

	s.f(`<g id="throughput-axis">` + "\n")
	for d := decLo; d <= decHi; d++ {
		y := yOf(math.Pow(10, d))
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bbbbbb"/>`+"\n", left, y, right, y)
		s.f(`<text x="%.1f" y="%.1f" text-anchor="end" fill="#333333">%s</text>`+"\n", left-8, y+4, esc(rateLabel(math.Pow(10, d))))
		if d == decHi {
			break
		}
		for _, m := range []float64{2, 5} {
			ym := yOf(m * math.Pow(10, d))
			s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e6e6e6"/>`+"\n", left, ym, right, ym)
			s.f(`<text x="%.1f" y="%.1f" text-anchor="end" fill="#888888" font-size="10">%s</text>`+"\n", left-8, ym+4, esc(rateLabel(m*math.Pow(10, d))))
		}
	}
	for _, c := range cs {
		x := xOf(c)
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eeeeee"/>`+"\n", x, plotTop, x, bottom)
		s.f(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#333333">%d</text>`+"\n", x, bottom+18, c)
	}
	s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`+"\n", left, bottom, right, bottom)
	s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`+"\n", left, plotTop, left, bottom)
	s.f(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#333333">%s</text>`+"\n", (left+right)/2, bottom+36,
		esc("concurrent callers (HTTP: connections)"))
	s.f(`<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle" fill="#333333">%s</text>`+"\n",
		left-60, (plotTop+bottom)/2, esc("requests per second"))
	s.f("</g>\n")

	s.f(`<g id="throughput">` + "\n")
	for _, se := range all {
		color := guestColors[se.guest%len(guestColors)]
		dash := ""
		for _, st := range seriesStyles {
			if st.target == se.target && st.dash != "" {
				dash = fmt.Sprintf(` stroke-dasharray="%s"`, st.dash)
			}
		}
		var pts []string
		for _, p := range se.pts {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(p.c), yOf(p.rps)))
		}
		s.f(`<g class="series" data-guest="%s" data-target="%s">`+"\n", esc(r.Guests[se.guest].Name), esc(se.target))
		s.f(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), color, dash)
		for _, p := range se.pts {
			s.f(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s</title></circle>`+"\n", xOf(p.c), yOf(p.rps), color,
				esc(fmt.Sprintf("%s %s, %d: %s req/s", r.Guests[se.guest].Name, se.target, p.c, formatCount(p.rps))))
		}
		s.f("</g>\n")
	}
	s.f("</g>\n")

	// The series' legend, at the left: guests by color, targets by dash.
	s.f(`<g id="throughput-legend">` + "\n")
	y := plotTop + 4
	for gi, g := range r.Guests {
		color := guestColors[gi%len(guestColors)]
		s.f(`<line x1="20" y1="%.1f" x2="44" y2="%.1f" stroke="%s" stroke-width="3"/>`+"\n", y, y, color)
		s.f(`<text x="50" y="%.1f">%s</text>`+"\n", y+4, esc(g.Name))
		y += 18
	}
	y += 8
	for _, st := range seriesStyles {
		dash := ""
		if st.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, st.dash)
		}
		s.f(`<line x1="20" y1="%.1f" x2="44" y2="%.1f" stroke="#333333" stroke-width="2"%s/>`+"\n", y, y, dash)
		s.f(`<text x="50" y="%.1f" font-size="11">%s</text>`+"\n", y+4, esc(st.label))
		y += 18
	}
	s.f("</g>\n")
}

// rateLabel writes a rate compactly: "500", "2k", "1M".
func rateLabel(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%gk", v/1e3)
	default:
		return fmt.Sprintf("%g", v)
	}
}
