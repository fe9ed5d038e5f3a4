package console

import (
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzChart draws charts of any values under any names: the SVG is well
// formed (no name escapes its text) and every value lands in the plot.
func FuzzChart(f *testing.F) {
	f.Add("p50", 1.5, 0.0, -3.0, uint8(0))
	f.Add(`"><script>alert(1)</script>`, math.Inf(1), math.NaN(), 1e308, uint8(2))
	f.Add("a\x00b</svg>", 5e-324, 0.1, 7.0, uint8(1))
	f.Fuzz(func(t *testing.T, name string, a, b, c float64, kind uint8) {
		ch := chart{ID: name, Title: name, Unit: "ms", Kind: chartKind(kind % 3), Start: time.Unix(0, 0), Step: time.Second,
			Series: []series{{name, []float64{a, b, c}}, {name, []float64{c, a}}}}
		svg := string(ch.SVG())
		if strings.Count(svg, "<svg") != 1 || !strings.HasSuffix(svg, "</svg>") || strings.Contains(svg, "<script") {
			t.Fatalf("malformed SVG for %q: %s", name, svg)
		}
		if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") && !strings.Contains(name, "Inf") {
			t.Fatalf("a coordinate is not a number: %s", svg)
		}
	})
}

// FuzzQuantile estimates quantiles of any histogram: the answer lies
// within the bounds.
func FuzzQuantile(f *testing.F) {
	f.Add(uint64(1), uint64(0), uint64(5), uint64(2), 0.5)
	f.Add(uint64(0), uint64(0), uint64(0), uint64(0), 0.99)
	f.Add(uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(1), uint64(0), 1.0)
	f.Fuzz(func(t *testing.T, a, b, c, d uint64, q float64) {
		if math.IsNaN(q) || q < 0 || q > 1 {
			return
		}
		bounds := []float64{0.001, 0.01, 0.1}
		v, ok := quantile(bounds, []uint64{a, b, c, d}, q)
		if !ok {
			return
		}
		if math.IsNaN(v) || v < 0 || v > bounds[len(bounds)-1] {
			t.Fatalf("quantile %v of %v = %v, outside [0, %v]", q, []uint64{a, b, c, d}, v, bounds[len(bounds)-1])
		}
	})
}

// FuzzSafeNext: a sign-in's next is a console path or the functions page.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/console/functions", "//evil", "/console/\\x", "https://evil/console/", "/console/x\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if !strings.HasPrefix(got, "/console/") || strings.ContainsAny(got, "\\\r\n\t") {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
	})
}
