package runner

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noisy returns n values around center, spread ±5%, from a fixed seed.
func noisy(seed uint64, n int, center float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, n)
	for i := range out {
		out[i] = center * (0.95 + 0.1*r.Float64())
	}
	return out
}

// syntheticReport is a report of one guest whose scenarios have the given
// batch medians.
func syntheticReport(scenarios map[string][]float64) *Report {
	g := Guest{Name: "g"}
	for _, name := range scenarioOrder {
		bm, ok := scenarios[name]
		if !ok {
			continue
		}
		g.Scenarios = append(g.Scenarios, Scenario{Name: name, Status: StatusOK, BatchMediansNs: bm, Iterations: len(bm)})
	}
	return &Report{Schema: SchemaID, Guests: []Guest{g}}
}

func TestCompareVerdicts(t *testing.T) {
	old := syntheticReport(map[string][]float64{
		ScenarioWarm:    noisy(1, 30, 1000),
		ScenarioCold:    noisy(2, 30, 20000),
		ScenarioCompile: noisy(3, 3, 1e9),
		ScenarioNative:  noisy(4, 30, 50),
		ScenarioRestart: noisy(5, 30, 2e6),
	})
	cur := syntheticReport(map[string][]float64{
		ScenarioWarm:           noisy(11, 30, 1000),  // the same
		ScenarioCold:           noisy(12, 30, 16000), // 20% faster
		ScenarioCompile:        noisy(13, 3, 0.7e9),  // faster, but three runs cannot tell
		ScenarioNative:         noisy(14, 30, 65),    // 30% slower
		ScenarioPreInitialized: noisy(15, 30, 5000),
	})
	changes := Compare(old, cur)
	byName := map[string]Change{}
	for _, c := range changes {
		byName[c.Scenario] = c
	}
	tests := []struct {
		scenario, verdict, note string
	}{
		{ScenarioWarm, "~", ""},
		{ScenarioCold, "faster", ""},
		{ScenarioCompile, "~", ""},
		{ScenarioNative, "slower", ""},
		{ScenarioRestart, "", "only in the old report"},
		{ScenarioPreInitialized, "", "only in the new report"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			c, ok := byName[tt.scenario]
			require.True(t, ok)
			assert.Equal(t, tt.verdict, c.Verdict, "p=%.4f", c.P)
			assert.Equal(t, tt.note, c.Note)
		})
	}
	assert.InDelta(t, -0.2, byName[ScenarioCold].Delta, 0.05)
	assert.InDelta(t, 0.3, byName[ScenarioNative].Delta, 0.05)

	var out bytes.Buffer
	require.NoError(t, WriteCompare(&out, changes))
	assert.Contains(t, out.String(), "g/cold")
	assert.Contains(t, out.String(), "faster")
	assert.Contains(t, out.String(), "Mann-Whitney")
}

func TestReadReportsMergesRuns(t *testing.T) {
	a, _ := json.Marshal(syntheticReport(map[string][]float64{ScenarioWarm: {1, 2, 3}}))
	b, _ := json.Marshal(syntheticReport(map[string][]float64{ScenarioWarm: {4, 5}, ScenarioCold: {9}}))
	r, err := ReadReports(writeTemp(t, "a.json", a), writeTemp(t, "b.json", b))
	require.NoError(t, err)
	require.Len(t, r.Guests, 1)
	require.Len(t, r.Guests[0].Scenarios, 2)
	assert.Equal(t, []float64{1, 2, 3, 4, 5}, r.Guests[0].Scenarios[0].BatchMediansNs)

	_, err = ReadReports(writeTemp(t, "c.json", []byte(`{"name":"x"}`)))
	require.ErrorIs(t, err, ErrNotReport)
	_, err = ReadReports(writeTemp(t, "d.json", []byte(`not json`)))
	require.ErrorIs(t, err, ErrNotReport)
}

func TestMannWhitney(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want float64
	}{
		// Exact: the two samples do not overlap: 2 arrangements of 252 as extreme.
		{"separated", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 2.0 / 252},
		{"interleaved", []float64{1, 3, 5, 7, 9}, []float64{2, 4, 6, 8, 10}, 0.690476},
		// Normal approximation, tie and continuity corrected (as scipy.stats.mannwhitneyu, method="asymptotic").
		{"ties", []float64{1, 2, 2, 3, 3, 3, 4}, []float64{3, 4, 4, 5, 5, 6, 6}, 0.0075909},
		{"same", []float64{5, 5, 5}, []float64{5, 5, 5}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.want, mannWhitney(tt.x, tt.y), 1e-4)
			assert.InDelta(t, tt.want, mannWhitney(tt.y, tt.x), 1e-4, "symmetric")
		})
	}
}

func TestPercentile(t *testing.T) {
	s := summarize([]float64{5, 1, 4, 2, 3})
	assert.Equal(t, summary{min: 1, p25: 2, p50: 3, p75: 4, p90: 4.6, p99: 4.96, max: 5, mean: 3}, roundSummary(s))
	assert.Equal(t, []float64{0, 2, 4, 6, 8}, thin([]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 5))
}

func roundSummary(s summary) summary {
	r := func(v float64) float64 { return float64(int64(v*1e6+0.5)) / 1e6 }
	return summary{r(s.min), r(s.p25), r(s.p50), r(s.p75), r(s.p90), r(s.p99), r(s.max), r(s.mean)}
}
