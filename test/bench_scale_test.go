package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// scaleSteps are the numbers of running containers goal 5 is measured at.
var scaleSteps = []int{1, 10, 50, 100, 200}

// scaleSamples is how many requests each latency is the median of.
const scaleSamples = 40

// scalePoint is what goal 5 measures at one number of containers.
type scalePoint struct {
	containers  int
	rssMiB      float64
	noopMs      float64 // the floor: a request the GCS answers at once
	procListMs  float64
	statsMs     float64
	stacksMs    float64
	stacksBytes int
	goroutines  int  // in the last dump
	truncated   bool // the dump did not fit one message and was cut
}

// BenchmarkScale measures goal 5: it brings the daemon from idle to 200
// running containers (busybox sleep, stdout and stderr relayed to the
// host) and at each step reads the daemon's RSS and times ProcessList and
// Statistics of one container and DumpStacks, against a no-op request as
// the latency floor and the idle RSS as the memory floor. With
// GCS_BENCH_DOCS=DIR it writes DIR/scaling.svg and DIR/scaling.md.
func BenchmarkScale(b *testing.B) {
	for i := 0; i < b.N; i++ {
		points, idle := scaleRamp(b)
		last := points[len(points)-1]
		b.ReportMetric(idle, "idle-MiB")
		b.ReportMetric(last.rssMiB, "rss-200-MiB")
		b.ReportMetric(last.procListMs, "proclist-ms")
		b.ReportMetric(last.statsMs, "stats-ms")
		b.ReportMetric(last.stacksMs, "stacks-ms")
		b.ReportMetric(float64(last.stacksBytes)/1024, "stacks-KiB")
		n := fmt.Sprintf(", %d containers", last.containers)
		limitGoal("5 RSS"+n, last.rssMiB, idle, 40, "MiB")
		limitGoal("5 ProcessList"+n, last.procListMs, last.noopMs, 0.3, "ms")
		limitGoal("5 Statistics"+n, last.statsMs, last.noopMs, 0.3, "ms")
		limitGoal("5 DumpStacks time"+n, last.stacksMs, last.noopMs, 5, "ms")
		size := "5 DumpStacks size" + n
		limitGoal(size, float64(last.stacksBytes)/1024, 0, 64, "KiB")
		if last.truncated {
			// Cut to fit one message: the whole dump is larger.
			board.add(goalRow{key: size, figure: "> 64 KiB (cut)", goal: "≤ 64.0 KiB"})
		}
		table := scaleTable(points, idle)
		b.Log("\n" + table)
		if dir := os.Getenv("GCS_BENCH_DOCS"); dir != "" {
			if err := os.WriteFile(filepath.Join(dir, "scaling.md"), []byte(table), 0o644); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "scaling.svg"), []byte(scalePlot(points)), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// scaleRamp runs the ramp once and returns its points and the idle RSS.
func scaleRamp(b *testing.B) ([]scalePoint, float64) {
	h := newHostEnv(b, testutil.Runtimes(b)[0], "-loglevel", "warning")
	idle := float64(h.g.rssKiB(b)) / 1024
	var points []scalePoint
	first := ""
	running := 0
	for _, n := range scaleSteps {
		for ; running < n; running++ {
			id := h.id("scale")
			if first == "" {
				first = id
			}
			if err := h.create(id, specFor("sleep", "100000")); err != nil {
				b.Fatalf("container %d: %v", running+1, err)
			}
			if _, err := h.startInit(id, h.listenStdio(false, true, true)); err != nil {
				b.Fatalf("container %d: %v", running+1, err)
			}
		}
		time.Sleep(200 * time.Millisecond) // let relays and reapers settle
		p := scalePoint{containers: n, rssMiB: float64(h.g.rssKiB(b)) / 1024}
		ctx := context.Background()
		p.noopMs = medianMs(b, scaleSamples, func() error { return noop(h.c) })
		p.procListMs = medianMs(b, scaleSamples, func() error {
			_, err := h.c.GetProperties(ctx, first, prot.PtProcessList)
			return err
		})
		p.statsMs = medianMs(b, scaleSamples, func() error {
			_, err := h.c.GetProperties(ctx, first, prot.PtStatistics)
			return err
		})
		p.stacksMs = medianMs(b, scaleSamples/4, func() error {
			s, err := h.c.DumpStacks(ctx)
			p.stacksBytes = len(s)
			p.truncated = strings.Contains(s, "...[truncated")
			p.goroutines = 0
			for _, n := range stackTops(s) {
				p.goroutines += n
			}
			return err
		})
		points = append(points, p)
	}
	return points, idle
}

// medianMs runs f n times and returns the median duration in milliseconds.
func medianMs(b *testing.B, n int, f func() error) float64 {
	ms := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		ms = append(ms, since(start))
	}
	return median(ms)
}

// scaleTable renders the points as a markdown table.
func scaleTable(points []scalePoint, idle float64) string {
	var s strings.Builder
	fmt.Fprintf(&s, "Idle RSS: %.1f MiB. Latencies are medians of %d requests (DumpStacks: %d).\n\n", idle, scaleSamples, scaleSamples/4)
	s.WriteString("| containers | RSS MiB | no-op ms (floor) | ProcessList ms | Statistics ms | DumpStacks ms | DumpStacks KiB | goroutines |\n")
	cut := ""
	s.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, p := range points {
		mark := ""
		if p.truncated {
			mark, cut = " (cut)", "\n(cut): the dump did not fit one bridge message and was truncated.\n"
		}
		fmt.Fprintf(&s, "| %d | %.1f | %.3f | %.3f | %.3f | %.2f | %.1f%s | %d |\n", p.containers, p.rssMiB,
			p.noopMs, p.procListMs, p.statsMs, p.stacksMs, float64(p.stacksBytes)/1024, mark, p.goroutines)
	}
	return s.String() + cut
}
