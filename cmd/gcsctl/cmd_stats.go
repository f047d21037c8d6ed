package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// unlimitedMemory is where a memory limit counts as none: cgroup v1 reports
// "no limit" as the largest page-aligned int64.
const unlimitedMemory = 1 << 62

// statsCommand prints a container's resource usage.
func statsCommand() command {
	return command{
		name:      "stats",
		args:      "ID",
		summary:   "print container ID's resource usage (GetProperties Statistics)",
		detail:    "With --json the LCOWMetrics document (containerd's cgroup v1 metrics) is printed.",
		negotiate: true,
		setup: func(*flag.FlagSet) parseFunc {
			return oneID("stats", runStats)
		},
	}
}

// runStats is the stats action.
func runStats(ctx context.Context, s *session, id string) error {
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	props, err := s.client.GetProperties(ctx, id, prot.PtStatistics)
	if err != nil {
		return err
	}
	m := props.Metrics
	if m == nil {
		m = &prot.Metrics{}
	}
	if s.g.json {
		return s.printJSON(m)
	}
	tw := tabwriter.NewWriter(s.stdout, 0, 8, 2, ' ', 0)
	cpu, usage, limit, pids := "n/a", "n/a", "n/a", "n/a"
	if m.CPU != nil && m.CPU.Usage != nil {
		ns := m.CPU.Usage.Total
		cpu = fmt.Sprintf("%d ns (%v)", ns, time.Duration(ns).Round(time.Microsecond))
	}
	if m.Memory != nil && m.Memory.Usage != nil {
		usage = formatBytes(m.Memory.Usage.Usage)
		limit = "unlimited"
		if l := m.Memory.Usage.Limit; l != 0 && l < unlimitedMemory {
			limit = formatBytes(l)
		}
	}
	if m.Pids != nil {
		pids = strconv.FormatUint(m.Pids.Current, 10)
	}
	fmt.Fprintf(tw, "CPU total:\t%s\n", cpu)
	fmt.Fprintf(tw, "Memory usage:\t%s\n", usage)
	fmt.Fprintf(tw, "Memory limit:\t%s\n", limit)
	fmt.Fprintf(tw, "Pids current:\t%s\n", pids)
	return tw.Flush()
}

// formatBytes renders n bytes in binary units: "3.0 MiB (3145728)".
func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB (%d)", float64(n)/float64(div), "KMGTPE"[exp], n)
}
