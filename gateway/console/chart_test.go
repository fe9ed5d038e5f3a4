package console

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestNiceCeil(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want float64
	}{
		{"zero", 0, 1},
		{"negative", -3, 1},
		{"NaN", math.NaN(), 1},
		{"infinity", math.Inf(1), 1},
		{"one", 1, 1},
		{"just over one", 1.01, 2},
		{"three", 3, 5},
		{"seven", 7, 10},
		{"forty", 40, 50},
		{"small", 0.013, 0.02},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.want, niceCeil(tt.in), 1e-12)
		})
	}
}

func TestQuantile(t *testing.T) {
	bounds := []float64{0.001, 0.01, 0.1}
	tests := []struct {
		name   string
		counts []uint64
		q      float64
		want   float64
		ok     bool
	}{
		{name: "empty", counts: []uint64{0, 0, 0, 0}},
		{name: "all in the first bucket, median", counts: []uint64{10, 0, 0, 0}, q: 0.5, want: 0.0005, ok: true},
		{name: "all in the second bucket, median", counts: []uint64{0, 4, 0, 0}, q: 0.5, want: 0.0055, ok: true},
		{name: "p99 in the last bounded bucket", counts: []uint64{50, 0, 50, 0}, q: 0.99, want: 0.0982, ok: true},
		{name: "above every bound", counts: []uint64{0, 0, 0, 3}, q: 0.5, want: 0.1, ok: true},
		{name: "q 0 is the lowest bucket's start", counts: []uint64{0, 2, 0, 0}, q: 0, want: 0.001, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := quantile(bounds, tt.counts, tt.q)
			assert.Equal(t, tt.ok, ok)
			assert.InDelta(t, tt.want, got, 1e-9)
		})
	}
}

func TestChartSVG(t *testing.T) {
	start := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	hostileName := `"><script>alert(1)</script>`
	tests := []struct {
		name     string
		c        chart
		contains []string
		absent   []string
		points   int
	}{
		{name: "empty", c: chart{ID: "e", Title: "Empty", Kind: bars, Start: start, Step: time.Second,
			Series: []series{{"a", []float64{0, 0, 0}}}},
			contains: []string{"no data in this window", `id="e"`, "12:00:00", "12:00:03 UTC"}, points: 0},
		{name: "bars", c: chart{ID: "b", Title: "Bars", Kind: bars, Start: start, Step: time.Second,
			Series: []series{{"a", []float64{1, 0, 4}}}}, contains: []string{`class="pt s0"`, "12:00:02 · a: 4"}, points: 2},
		{name: "stacked", c: chart{ID: "s", Kind: stackedBars, Start: start, Step: time.Second,
			Series: []series{{"warm", []float64{3, 1}}, {"cold", []float64{1, 0}}}}, contains: []string{`class="pt s1"`}, points: 3},
		{name: "lines with gaps", c: chart{ID: "l", Kind: lines, Unit: "ms", Start: start, Step: time.Second,
			Series: []series{{"p50", []float64{1, math.NaN(), 2, 3}}}}, contains: []string{"<polyline", "3.0 ms"}, points: 3},
		{name: "a hostile series name is escaped", c: chart{ID: `x"y`, Title: hostileName, Kind: lines, Start: start, Step: time.Second,
			Series: []series{{hostileName, []float64{1}}}}, contains: []string{"&#34;&gt;&lt;script&gt;", `id="x&#34;y"`},
			absent: []string{"<script>"}, points: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svg := string(tt.c.SVG())
			assert.True(t, strings.HasPrefix(svg, "<svg ") && strings.HasSuffix(svg, "</svg>"))
			for _, s := range tt.contains {
				assert.Contains(t, svg, s)
			}
			for _, s := range tt.absent {
				assert.NotContains(t, svg, s)
			}
			assert.Equal(t, tt.points, strings.Count(svg, `class="pt `))
			assert.NotContains(t, svg, "style=", "colours come from the stylesheet")
		})
	}
}

func TestSpan(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{time.Hour, "1h"}, {15 * time.Minute, "15m"}, {10 * time.Second, "10s"}, {200 * time.Millisecond, "200ms"},
		{72 * time.Second, "1m12s"}, {90 * time.Minute, "1h30m"}, {0, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, span(tt.in))
		})
	}
}
