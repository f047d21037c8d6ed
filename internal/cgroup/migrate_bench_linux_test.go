package cgroup

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// migrateRounds is how many moves one op of BenchmarkMigrate times.
const migrateRounds = 20

// BenchmarkMigrate measures what a cgroup migration after a pause costs
// on this machine, the wait favordynmods removes: a sleeping process
// moved between two cgroups of one hierarchy 20 times, 20 ms apart, the
// write to cgroup.procs timed; the median is reported. The machine's own
// setting is measured, which the benchmark does not change (see
// requireCgroup2); from Linux 6.18 the mount options do not tell it, as the
// kernel keeps the faster migrations once favordynmods was ever on.
func BenchmarkMigrate(b *testing.B) {
	l := requireCgroups(b)
	mnt := l.unified
	if h, ok := l.controller("pids"); ok && !l.v2 {
		mnt = h.mount
	}
	if mnt == "" {
		b.Skip("no hierarchy to move a process in")
	}
	parent := testParent(b, l)
	dirs := []string{filepath.Join(mnt, parent, "a"), filepath.Join(mnt, parent, "b")}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		b.Skip("no sleep binary:", err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := []byte(strconv.Itoa(cmd.Process.Pid))
	var ms []float64
	for i := 0; b.Loop(); i++ {
		for r := 0; r < migrateRounds; r++ {
			time.Sleep(20 * time.Millisecond)
			start := time.Now()
			if err := os.WriteFile(filepath.Join(dirs[r%2], "cgroup.procs"), pid, 0); err != nil {
				b.Fatal(err)
			}
			ms = append(ms, float64(time.Since(start).Nanoseconds())/1e6)
		}
	}
	// Out of the cgroups again, so that they can be removed.
	if err := os.WriteFile(filepath.Join(mnt, "cgroup.procs"), pid, 0); err != nil {
		b.Fatal(err)
	}
	slices.Sort(ms)
	b.ReportMetric(ms[len(ms)/2], "ms/move")
}
