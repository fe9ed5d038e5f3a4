package runner

import (
	"math"
	"slices"
)

// percentile returns the q-quantile (0 <= q <= 1) of sorted values, by
// linear interpolation between the closest ranks.
func percentile(sorted []float64, q float64) float64 {
	switch len(sorted) {
	case 0:
		return 0
	case 1:
		return sorted[0]
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}

// median returns the median of values, which it does not change.
func median(values []float64) float64 {
	s := slices.Clone(values)
	slices.Sort(s)
	return percentile(s, 0.5)
}

// summary holds the figures of a set of samples.
type summary struct {
	min, p25, p50, p75, p90, p99, max, mean float64
}

func summarize(samples []float64) summary {
	if len(samples) == 0 {
		return summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	return summary{
		min: s[0], p25: percentile(s, 0.25), p50: percentile(s, 0.5), p75: percentile(s, 0.75),
		p90: percentile(s, 0.90), p99: percentile(s, 0.99), max: s[len(s)-1], mean: sum / float64(len(s)),
	}
}

// thin returns at most n of values, evenly spaced in their order.
func thin(values []float64, n int) []float64 {
	if len(values) <= n {
		return slices.Clone(values)
	}
	out := make([]float64, n)
	step := float64(len(values)) / float64(n)
	for i := range out {
		out[i] = values[int(float64(i)*step)]
	}
	return out
}

// mannWhitney is the two-sided Mann-Whitney U test of whether x and y come
// from the same distribution: it returns the p-value. Small samples
// without ties get the exact distribution of U; others the normal
// approximation with a correction for ties and for continuity.
func mannWhitney(x, y []float64) float64 {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return 1
	}
	type obs struct {
		v     float64
		fromX bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range x {
		all = append(all, obs{v, true})
	}
	for _, v := range y {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	n := float64(n1 + n2)
	var rankX, tieTerm float64
	ties := false
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		// Ranks i+1..j share their mean.
		r := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			if all[k].fromX {
				rankX += r
			}
		}
		if t := float64(j - i); t > 1 {
			ties = true
			tieTerm += t*t*t - t
		}
		i = j
	}
	u1 := rankX - float64(n1*(n1+1))/2
	u := math.Min(u1, float64(n1*n2)-u1)
	if !ties && n1 <= 25 && n2 <= 25 {
		return math.Min(1, 2*exactUCDF(n1, n2, int(u)))
	}
	mu := float64(n1*n2) / 2
	sigma := math.Sqrt(float64(n1*n2) / 12 * ((n + 1) - tieTerm/(n*(n-1))))
	if sigma == 0 {
		return 1
	}
	z := (math.Abs(u1-mu) - 0.5) / sigma
	if z < 0 {
		z = 0
	}
	return math.Min(1, math.Erfc(z/math.Sqrt2))
}

// exactUCDF is P(U <= u) for samples of sizes n1 and n2 without ties: the
// share of the arrangements of the two samples whose U is at most u.
func exactUCDF(n1, n2, u int) float64 {
	// counts[j][k]: arrangements of i x's and j y's with U = k, built up
	// over i. The last x either is the largest (adds j to U) or is not.
	maxU := n1 * n2
	prev := make([][]float64, n2+1)
	for j := range prev {
		prev[j] = make([]float64, maxU+1)
		prev[j][0] = 1 // no x's: U = 0, one arrangement
	}
	for i := 1; i <= n1; i++ {
		cur := make([][]float64, n2+1)
		cur[0] = make([]float64, maxU+1)
		cur[0][0] = 1
		for j := 1; j <= n2; j++ {
			cur[j] = make([]float64, maxU+1)
			for k := 0; k <= i*j; k++ {
				// Largest value is an x: it beats the j y's.
				if k >= j {
					cur[j][k] += prev[j][k-j]
				}
				// Largest value is a y: it beats no x.
				cur[j][k] += cur[j-1][k]
			}
		}
		prev = cur
	}
	total, below := 0.0, 0.0
	for k, c := range prev[n2] {
		total += c
		if k <= u {
			below += c
		}
	}
	return below / total
}
