package console

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Charts are drawn here, on the server, as inline SVG: no script, nothing
// for the Content-Security-Policy to allow, and a page that shows its data
// however the browser is set. Colours come from the stylesheet (classes
// s0..s3), so the SVG holds no style attribute.

// chartKind is how a chart draws its series.
type chartKind uint8

const (
	bars        chartKind = iota // series overlaid, the first behind
	stackedBars                  // series stacked, the first at the bottom
	lines                        // a line per series, a dot per point with data
)

// series is one named row of values, one per step; NaN is "no data".
type series struct {
	Name   string
	Values []float64
}

// chart is one chart: its series share the x axis (steps of Step from
// Start) and a y axis in Unit.
type chart struct {
	ID     string // the element id, for tests and links
	Title  string
	Unit   string // "" for counts, "ms" for durations
	Kind   chartKind
	Start  time.Time
	Step   time.Duration
	Series []series
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH                 = 720, 170
	padL, padR, padT, padB         = 56, 10, 10, 22
	plotW, plotH                   = chartW - padL - padR, chartH - padT - padB
	chartLabelFormat               = "15:04:05"
	chartMaxSeries                 = 4
	chartGridLines                 = 2
	chartDotRadius                 = 2.5
	chartMinBarWidth       float64 = 1
)

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// formatValue writes a value for an axis or a tooltip.
func formatValue(v float64, unit string) string {
	switch {
	case unit == "" && v == math.Trunc(v) && v < 1e6:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case unit != "":
		unit = " " + unit
	}
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v, 'g', 3, 64) + unit
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64) + unit
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64) + unit
	default:
		return strconv.FormatFloat(v, 'g', 2, 64) + unit
	}
}

// finite reports whether v is a number a chart can place.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// HasData reports whether any series has a value above zero.
func (c chart) HasData() bool {
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v > 0 && finite(v) {
				return true
			}
		}
	}
	return false
}

// SVG draws the chart. Every string in it is escaped here: the result is
// trusted by the template.
func (c chart) SVG() template.HTML {
	n := 0
	for _, s := range c.Series {
		n = max(n, len(s.Values))
	}
	top := 0.0
	for i := range n {
		sum := 0.0
		for _, s := range c.Series {
			if i < len(s.Values) && finite(s.Values[i]) && s.Values[i] > 0 {
				if c.Kind == stackedBars {
					sum += s.Values[i]
				} else {
					top = max(top, s.Values[i])
				}
			}
		}
		top = max(top, sum)
	}
	top = niceCeil(top)
	if !finite(top) {
		top = math.MaxFloat64
	}
	var b strings.Builder
	b.Grow(4096)
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg class="chart" id="%s" viewBox="0 0 %d %d" role="img" aria-label="%s">`, esc(c.ID), chartW, chartH, esc(c.Title))
	// Grid and y labels.
	for g := 0; g <= chartGridLines; g++ {
		v := top * (float64(g) / chartGridLines)
		y := padT + plotH - plotH*float64(g)/chartGridLines
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, padL, y, chartW-padR, y)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-6, y+4, esc(formatValue(v, c.Unit)))
	}
	if n > 0 {
		end := c.Start.Add(time.Duration(n) * c.Step)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d">%s</text>`, padL, chartH-6, esc(c.Start.UTC().Format(chartLabelFormat)))
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">%s UTC</text>`, chartW-padR, chartH-6, esc(end.UTC().Format(chartLabelFormat)))
	}
	if !c.HasData() {
		fmt.Fprintf(&b, `<text class="empty" x="%d" y="%d" text-anchor="middle">no data in this window</text>`, padL+plotW/2, padT+plotH/2)
	}
	slotW := float64(plotW) / float64(max(n, 1))
	x := func(i int) float64 { return padL + slotW*(float64(i)+0.5) }
	y := func(v float64) float64 { return padT + plotH - plotH*max(0, min(v/top, 1)) }
	tip := func(i int, s series, v float64) string {
		t := c.Start.Add(time.Duration(i) * c.Step).UTC().Format(chartLabelFormat)
		return esc(t + " · " + s.Name + ": " + formatValue(v, c.Unit))
	}
	switch c.Kind {
	case bars, stackedBars:
		w := max(chartMinBarWidth, slotW*0.8)
		base := make([]float64, n)
		for si, s := range c.Series {
			for i, v := range s.Values {
				if !finite(v) || v <= 0 {
					continue
				}
				y0 := 0.0
				if c.Kind == stackedBars {
					y0 = base[i]
					base[i] += v
				}
				fmt.Fprintf(&b, `<rect class="pt s%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect>`,
					si%chartMaxSeries, x(i)-w/2, y(y0+v), w, y(y0)-y(y0+v), tip(i, s, v))
			}
		}
	case lines:
		for si, s := range c.Series {
			var pts []string
			flush := func() {
				if len(pts) > 1 {
					fmt.Fprintf(&b, `<polyline class="ln s%d" points="%s"/>`, si%chartMaxSeries, strings.Join(pts, " "))
				}
				pts = pts[:0]
			}
			for i, v := range s.Values {
				if !finite(v) {
					flush()
					continue
				}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
			}
			flush()
			for i, v := range s.Values {
				if finite(v) {
					fmt.Fprintf(&b, `<circle class="pt s%d" cx="%.1f" cy="%.1f" r="%.1f"><title>%s</title></circle>`,
						si%chartMaxSeries, x(i), y(v), chartDotRadius, tip(i, s, v))
				}
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every string above is escaped
}

// Legend returns the series' names with their colour classes.
func (c chart) Legend() []legendItem {
	out := make([]legendItem, len(c.Series))
	for i, s := range c.Series {
		out[i] = legendItem{Name: s.Name, Class: "s" + strconv.Itoa(i%chartMaxSeries)}
	}
	return out
}

// legendItem is one series in a chart's legend.
type legendItem struct{ Name, Class string }
