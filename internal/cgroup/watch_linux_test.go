package cgroup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/testutil"
)

const (
	logRise = "crossed its threshold"
	logFall = "fell back below its threshold"
	logOOM  = "out of memory in the pods cgroup"
)

// writeAtomic replaces the file so that a concurrent reader never sees it
// half written.
func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestPollV2 drives the v2 watch through stand-in interface files: this
// machine has no cgroup v2 memory controller (the VM runs the real one).
func TestPollV2(t *testing.T) {
	dir := t.TempDir()
	gcs, pods := filepath.Join(dir, "gcs"), filepath.Join(dir, "pods")
	for _, d := range []string{gcs, pods} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	events := func(kills int) string {
		return fmt.Sprintf("low 0\nhigh 0\nmax 4\noom %d\noom_kill %d\noom_group_kill 0\n", kills, kills)
	}
	writeAtomic(t, filepath.Join(gcs, "memory.current"), "50\n")
	writeAtomic(t, filepath.Join(pods, "memory.events"), events(3))

	var b testutil.LogBuffer
	m := &Manager{parent: "/p", gcsThreshold: 100, pollEvery: time.Millisecond, log: b.Logger()}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.pollV2(ctx, gcs, pods)
	}()

	writeAtomic(t, filepath.Join(gcs, "memory.current"), "150\n")
	b.WaitCount(t, 1, logRise, "count=1", "usage-bytes=150")
	writeAtomic(t, filepath.Join(gcs, "memory.current"), "100\n") // at the threshold is above
	writeAtomic(t, filepath.Join(gcs, "memory.current"), "99\n")
	b.WaitCount(t, 1, logFall)
	writeAtomic(t, filepath.Join(gcs, "memory.current"), "4096\n")
	b.WaitCount(t, 1, logRise, "count=2")
	// Kills from before the watch began are not logged; later ones are.
	writeAtomic(t, filepath.Join(pods, "memory.events"), events(5))
	b.WaitCount(t, 1, logOOM, "events=2", "oom-kills=5", "cgroup=/p/pods")
	cancel()
	<-done
	if n := b.Count(logRise); n != 2 {
		t.Errorf("%d rises logged; want 2:\n%s", n, b.String())
	}
	if n := b.Count(logOOM); n != 1 {
		t.Errorf("%d OOM lines logged; want 1:\n%s", n, b.String())
	}
}

// TestWatchMemoryV1 charges a real gcs cgroup past its threshold with a
// tmpfs file written from inside it (charged until the file is removed).
func TestWatchMemoryV1(t *testing.T) {
	l := requireCgroups(t)
	if l.v2 {
		t.Skip("v1 eventfds; v2 is polled (TestPollV2)")
	}
	if _, ok := l.controller("memory"); !ok {
		t.Skip("no v1 memory controller")
	}
	var b testutil.LogBuffer
	const threshold = 32 << 20
	m, _ := newTestManager(t, Options{GCSMemoryThreshold: threshold})
	m.log = b.Logger()
	if err := m.WatchMemory(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.WatchMemory(t.Context()); err == nil {
		t.Error("second WatchMemory succeeded")
	}
	h, _ := l.controller("memory")
	gcs := filepath.Join(h.mount, m.gcsPath())
	file := filepath.Join("/dev/shm", fmt.Sprintf("gcs-cgroup-watch-%d", os.Getpid()))
	t.Cleanup(func() { os.Remove(file) })
	for round := 1; round <= 2; round++ {
		fill := exec.Command("sh", "-c", `echo $$ > "$1/cgroup.procs" && exec dd if=/dev/zero of="$2" bs=1M count=48 status=none`, "sh", gcs, file)
		if out, err := fill.CombinedOutput(); err != nil {
			t.Fatalf("charge the gcs cgroup: %v %s", err, out)
		}
		b.WaitCount(t, 1, logRise, fmt.Sprintf("count=%d", round))
		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		b.WaitCount(t, round, logFall)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if n := b.Count(logRise); n != 2 {
		t.Errorf("%d rises logged; want 2:\n%s", n, b.String())
	}
}
