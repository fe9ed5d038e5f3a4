package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Alpha is the significance level of Compare: a change whose p-value is
// at least Alpha is reported as "~", no change beyond noise.
const Alpha = 0.05

// ErrNotReport: a file given to ReadReports is not a flint bench JSON
// report.
var ErrNotReport = errors.New("not a flint bench JSON report")

// ReadReports reads flint bench JSON reports (-o json or --save) and
// merges them: the batch medians of a scenario measured in several runs
// are pooled, so that comparing several runs per side weighs run-to-run
// noise too.
func ReadReports(paths ...string) (*Report, error) {
	var merged *Report
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var r Report
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w: %v", p, ErrNotReport, err)
		}
		if !strings.HasPrefix(r.Schema, "flint-bench/") {
			return nil, fmt.Errorf("%s: %w (its schema is %q)", p, ErrNotReport, r.Schema)
		}
		if r.Schema != SchemaID {
			return nil, fmt.Errorf("%s: schema %s; this flint reads %s", p, r.Schema, SchemaID)
		}
		if merged == nil {
			merged = &r
			continue
		}
		mergeReport(merged, &r)
	}
	if merged == nil {
		return nil, errors.New("no report to read")
	}
	return merged, nil
}

func mergeReport(into, from *Report) {
	for _, fg := range from.Guests {
		gi := -1
		for i := range into.Guests {
			if into.Guests[i].Name == fg.Name {
				gi = i
			}
		}
		if gi < 0 {
			into.Guests = append(into.Guests, fg)
			continue
		}
		g := &into.Guests[gi]
		for _, fs := range fg.Scenarios {
			found := false
			for i := range g.Scenarios {
				s := &g.Scenarios[i]
				if s.Name != fs.Name {
					continue
				}
				found = true
				if s.Status != StatusOK || fs.Status != StatusOK {
					if s.Status != StatusOK {
						*s = fs
					}
					continue
				}
				s.BatchMediansNs = append(s.BatchMediansNs, fs.BatchMediansNs...)
				s.Iterations += fs.Iterations
			}
			if !found {
				g.Scenarios = append(g.Scenarios, fs)
			}
		}
	}
}

// Change is one scenario compared between two reports.
type Change struct {
	Guest, Scenario string
	// Old and New are the medians of the scenario's batch medians.
	Old, New float64
	// Delta is New/Old - 1.
	Delta float64
	// P is the Mann-Whitney U test's p-value over the batch medians; N1
	// and N2 how many there were on each side.
	P      float64
	N1, N2 int
	// Verdict is "faster", "slower", or "~" when the difference is within
	// noise (P >= Alpha); "" with Note when the scenario cannot be
	// compared.
	Verdict string
	Note    string
}

// Compare compares every scenario two reports share, guest by guest: the
// change of the median, and whether the batch medians differ beyond noise
// by a two-sided Mann-Whitney U test at Alpha, as benchstat does with
// per-run values.
func Compare(old, cur *Report) []Change {
	var out []Change
	for _, og := range old.Guests {
		var ng *Guest
		for i := range cur.Guests {
			if cur.Guests[i].Name == og.Name {
				ng = &cur.Guests[i]
			}
		}
		for _, was := range og.Scenarios {
			c := Change{Guest: og.Name, Scenario: was.Name}
			var ns *Scenario
			if ng != nil {
				for i := range ng.Scenarios {
					if ng.Scenarios[i].Name == was.Name {
						ns = &ng.Scenarios[i]
					}
				}
			}
			switch {
			case was.Status == StatusSkipped && (ns == nil || ns.Status == StatusSkipped):
				continue
			case ns == nil:
				c.Note = "only in the old report"
			case was.Status != StatusOK || len(was.BatchMediansNs) == 0:
				c.Note = "old: " + was.Status
			case ns.Status != StatusOK || len(ns.BatchMediansNs) == 0:
				c.Note = "new: " + ns.Status
			default:
				c.Old, c.New = median(was.BatchMediansNs), median(ns.BatchMediansNs)
				c.N1, c.N2 = len(was.BatchMediansNs), len(ns.BatchMediansNs)
				c.P = mannWhitney(was.BatchMediansNs, ns.BatchMediansNs)
				if c.Old > 0 {
					c.Delta = c.New/c.Old - 1
				}
				switch {
				case c.P >= Alpha:
					c.Verdict = "~"
				case c.New < c.Old:
					c.Verdict = "faster"
				default:
					c.Verdict = "slower"
				}
			}
			out = append(out, c)
		}
	}
	for _, ng := range cur.Guests {
		for _, ns := range ng.Scenarios {
			if ns.Status == StatusSkipped || inReport(old, ng.Name, ns.Name) {
				continue
			}
			out = append(out, Change{Guest: ng.Name, Scenario: ns.Name, Note: "only in the new report"})
		}
	}
	return out
}

func inReport(r *Report, guest, scenario string) bool {
	for _, g := range r.Guests {
		if g.Name != guest {
			continue
		}
		for _, s := range g.Scenarios {
			if s.Name == scenario {
				return true
			}
		}
	}
	return false
}

// WriteCompare writes the changes as a table in the manner of benchstat:
// old and new medians, the change with its p-value and sample counts, or
// "~" when it is within noise.
func WriteCompare(w io.Writer, changes []Change) error {
	t := &grid{header: []string{"guest/scenario", "old p50", "new p50", "change", "verdict", "p", "n"}}
	for _, c := range changes {
		name := c.Guest + "/" + c.Scenario
		if c.Note != "" {
			t.add(name, "", "", "", c.Note, "", "")
			continue
		}
		change := fmt.Sprintf("%+.1f%%", 100*c.Delta)
		if c.Verdict == "~" {
			change = "~"
		}
		t.add(name, formatNs(c.Old), formatNs(c.New), change, c.Verdict,
			fmt.Sprintf("%.3f", c.P), fmt.Sprintf("%d+%d", c.N1, c.N2))
	}
	ew := &errWriter{w: w}
	t.text(ew, "")
	fmt.Fprintf(ew, "\nMedians of per-batch medians; two-sided Mann-Whitney U test over them, \"~\" when p >= %.2f.\n", Alpha)
	return ew.err
}
