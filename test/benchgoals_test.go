package test

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
)

// goalRow is one goal of issue 13 as measured by a benchmark: the figure,
// its floor measured in the same run, their ratio and the goal's bound.
type goalRow struct {
	key    string // "1 start runc", sorts by goal
	figure string // the figure with its unit
	floor  string // the floor with its unit, or "" when there is none
	ratio  float64
	goal   string // the bound, e.g. "ratio ≤ 0.60" or "≤ 8 ms"
	met    bool
}

// goalBoard collects the goals' rows while the benchmarks run; TestMain
// prints it once they are done. A benchmark runs several times with a
// growing b.N: the last run's row wins.
type goalBoard struct {
	mu   sync.Mutex
	rows map[string]goalRow
}

// board is the test binary's one board, printed by TestMain.
var board = &goalBoard{rows: map[string]goalRow{}}

func (g *goalBoard) add(r goalRow) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rows[r.key] = r
}

// print writes the board as a table, or nothing when no goal was measured.
func (g *goalBoard) print(w io.Writer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.rows) == 0 {
		return
	}
	keys := make([]string, 0, len(g.rows))
	for k := range g.rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "\nIssue 10 and 13 goals (each against a floor measured in the same run):")
	fmt.Fprintf(w, "  %-34s %-14s %-14s %-7s %-16s %s\n", "goal", "gcs", "floor", "ratio", "bound", "met")
	fmt.Fprintln(w, "  "+strings.Repeat("-", 94))
	for _, k := range keys {
		r := g.rows[k]
		ratio := "-"
		if r.ratio != 0 {
			ratio = fmt.Sprintf("%.2f", r.ratio)
		}
		floor := r.floor
		if floor == "" {
			floor = "-"
		}
		met := "no"
		if r.met {
			met = "yes"
		}
		fmt.Fprintf(w, "  %-34s %-14s %-14s %-7s %-16s %s\n", r.key, r.figure, floor, ratio, r.goal, met)
	}
}

// ratioGoal records a time goal bounded by its ratio to the floor (lower
// is better) and reports the figures as benchmark metrics.
func ratioGoal(b *testing.B, key string, gcsMs, floorMs, bound float64) {
	ratio := gcsMs / floorMs
	b.ReportMetric(gcsMs, "gcs-ms/op")
	b.ReportMetric(floorMs, "floor-ms/op")
	b.ReportMetric(ratio, "ratio")
	board.add(goalRow{
		key: key, figure: msString(gcsMs), floor: msString(floorMs), ratio: ratio,
		goal: fmt.Sprintf("ratio ≤ %.2f", bound), met: ratio <= bound,
	})
}

// limitGoal records a figure with an absolute bound (lower is better),
// next to its floor when it has one (floor 0: none).
func limitGoal(key string, figure, floor, bound float64, unit string) {
	r := goalRow{key: key, figure: unitString(figure, unit), goal: "≤ " + unitString(bound, unit), met: figure <= bound}
	if floor > 0 {
		r.floor = unitString(floor, unit)
		r.ratio = figure / floor
	}
	board.add(r)
}

func msString(ms float64) string { return unitString(ms, "ms") }

func unitString(v float64, unit string) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f %s", v, unit)
	case v >= 0.1:
		return fmt.Sprintf("%.2f %s", v, unit)
	default:
		return fmt.Sprintf("%.3f %s", v, unit)
	}
}
