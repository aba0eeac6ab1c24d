package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// row is one metric of one scenario, with every sample of each stack.
type row struct {
	Scenario string               `json:"scenario"`
	Metric   string               `json:"metric"`
	Samples  map[string][]float64 `json:"samples"` // by implementation
}

// results collects rows in the order metrics first appear, plus notes.
type results struct {
	rows  []*row
	notes []string
}

func (r *results) add(scenario, metric, impl string, v float64) {
	for _, x := range r.rows {
		if x.Scenario == scenario && x.Metric == metric {
			x.Samples[impl] = append(x.Samples[impl], v)
			return
		}
	}
	r.rows = append(r.rows, &row{Scenario: scenario, Metric: metric, Samples: map[string][]float64{impl: {v}}})
}

func (r *results) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// stats are the median, min and max of samples.
type stats struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

func summarize(xs []float64) stats {
	if len(xs) == 0 {
		return stats{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stats{N: len(s), Median: med, Min: s[0], Max: s[len(s)-1]}
}

func (x *row) ratio() float64 {
	c, p := summarize(x.Samples["chanrtc"]), summarize(x.Samples["pion"])
	if p.Median == 0 || math.IsNaN(c.Median) || math.IsNaN(p.Median) {
		return math.NaN()
	}
	return c.Median / p.Median
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v == 0:
		return "0"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func cell(s stats) string {
	if s.N == 0 {
		return "-"
	}
	if s.N == 1 {
		return num(s.Median)
	}
	return fmt.Sprintf("%s (%s..%s)", num(s.Median), num(s.Min), num(s.Max))
}

// printTable writes the results as an aligned text table: median (min..max)
// for each stack, the number of samples, and the ratio of the medians.
func printTable(w io.Writer, r *results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmetric\tchanrtc median (min..max)\tpion median (min..max)\tn\tchanrtc/pion\t")
	last := ""
	for _, x := range r.rows {
		sc := x.Scenario
		if sc == last {
			sc = ""
		}
		last = x.Scenario
		c, p := summarize(x.Samples["chanrtc"]), summarize(x.Samples["pion"])
		ratio := "-"
		if v := x.ratio(); !math.IsNaN(v) {
			ratio = fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\t\n", sc, x.Metric, cell(c), cell(p), c.N, p.N, ratio)
	}
	_ = tw.Flush()
	if len(r.notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range r.notes {
			fmt.Fprintln(w, "  - "+strings.ReplaceAll(n, "\n", "\n    "))
		}
	}
}

// printJSON writes the machine, the rows with their statistics, and the notes.
func printJSON(w io.Writer, m machine, r *results) error {
	type jsonRow struct {
		row
		Stats map[string]stats `json:"stats"`
		Ratio *float64         `json:"ratio,omitempty"`
	}
	out := struct {
		Machine machine   `json:"machine"`
		Rows    []jsonRow `json:"rows"`
		Notes   []string  `json:"notes"`
	}{Machine: m, Notes: r.notes}
	for _, x := range r.rows {
		j := jsonRow{row: *x, Stats: map[string]stats{}}
		for impl, s := range x.Samples {
			j.Stats[impl] = summarize(s)
		}
		if v := x.ratio(); !math.IsNaN(v) {
			j.Ratio = &v
		}
		out.Rows = append(out.Rows, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
