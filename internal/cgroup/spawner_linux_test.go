package cgroup

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSpawnBornInRuntimeCgroup: children spawned from several goroutines
// at once are born in the runtime cgroup of the memory hierarchy, the
// calling thread never leaves its own, and Close takes the spawner's
// thread out again so that the runtime cgroup can go.
func TestSpawnBornInRuntimeCgroup(t *testing.T) {
	for _, n := range []int{1, 4} {
		t.Run(fmt.Sprintf("%d at once", n), func(t *testing.T) {
			m, l := newTestManager(t, Options{})
			if l.v2 {
				t.Skip("cgroup v2 clones into the cgroup; no spawner")
			}
			h, ok := l.controller("memory")
			if !ok {
				t.Skip("no memory controller")
			}
			bin, err := exec.LookPath("sleep")
			if err != nil {
				t.Skip("no sleep binary")
			}
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- spawnAndCheck(m, h.mount, l, bin)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			if err := m.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if _, err := os.Stat(h.mount + m.runtimePath()); !os.IsNotExist(err) {
				t.Errorf("runtime cgroup after Close: %v, want it removed", err)
			}
		})
	}
}

// spawnAndCheck spawns sleep through m and checks where it was born and
// that the calling thread stayed where it was.
func spawnAndCheck(m *Manager, mount string, l *layout, bin string) error {
	// The same thread before and after, which the spawner's is not.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	before, err := threadCgroup(mount, l, tid)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "60")
	err = m.SpawnInRuntimeCgroup(cmd, func() (int, error) {
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	})
	if err != nil {
		return fmt.Errorf("spawn: %w", err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", cmd.Process.Pid))
	if err != nil {
		return err
	}
	defer f.Close()
	paths, err := parseProcCgroup(f, l)
	if err != nil {
		return err
	}
	if got := paths[mount]; got != m.runtimePath() {
		return fmt.Errorf("child born in %q, want %q", got, m.runtimePath())
	}
	if after, err := threadCgroup(mount, l, tid); err != nil || after != before {
		return fmt.Errorf("calling thread in %q after the spawn (%v), want %q", after, err, before)
	}
	return nil
}
