package cgroup

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// getdents(2) ends a batch early, well short of the buffer, when a signal
// is pending for the thread (Go's runtime sends SIGURG to preempt), so a
// short batch is not the last one. The walk used to take it for the end
// and missed child cgroups under load: Pids missed processes, Kill left
// them alive, Remove failed busy. Here a goroutine sends SIGURG to the
// listing thread over and over while it lists a directory of many
// entries; every listing must hold all of them. Plain directories stand in
// for cgroups: the early end is in the generic getdents code.
func TestListUnderSignals(t *testing.T) {
	const subdirs = 2000
	dir := t.TempDir()
	for i := range subdirs {
		if err := os.Mkdir(filepath.Join(dir, strconv.Itoa(i)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fd, err := openDirAt(unix.AT_FDCWD, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, tid := unix.Getpid(), unix.Gettid()
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			_ = unix.Tgkill(pid, tid, unix.SIGURG) // the runtime ignores a spurious SIGURG
		}
	}()
	defer func() { stop.Store(true); <-done }()

	for i := range 200 {
		if _, err := unix.Seek(fd, 0, 0); err != nil {
			t.Fatal(err)
		}
		var w treeWalk
		names, err := w.list(fd)
		if err != nil {
			t.Fatalf("listing %d: %v", i, err)
		}
		if len(names) != subdirs {
			t.Fatalf("listing %d read %d of %d directories", i, len(names), subdirs)
		}
	}
}
