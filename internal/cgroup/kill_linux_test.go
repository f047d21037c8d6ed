package cgroup

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Kill ends every process of a container's cgroup tree, its child cgroups'
// too, after which the cgroup can be removed; a missing cgroup holds
// nothing, and paths outside the pods cgroup are refused.
func TestKillEndsEveryProcess(t *testing.T) {
	m, l := newTestManager(t, Options{})
	p, sleeps := sleepingContainer(t, m, "left-behind")
	exited := make(chan error, len(sleeps))
	for _, s := range sleeps {
		go func() { exited <- s.Wait() }() // reaped as the daemon's reaper does
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Kill(ctx, p); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	for range sleeps {
		err := <-exited
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Errorf("a sleep ended with %v, want SIGKILL", err)
		}
	}
	if err := m.Remove(p); err != nil {
		t.Fatalf("Remove after Kill: %v", err)
	}
	for _, mnt := range l.mounts() {
		if exists(filepath.Join(mnt, p)) {
			t.Errorf("%s left behind", filepath.Join(mnt, p))
		}
	}
	if err := m.Kill(ctx, p); err != nil {
		t.Errorf("Kill of a missing cgroup: %v", err)
	}
	for _, bad := range []string{"/", m.podsPath(), m.gcsPath(), "relative/path"} {
		if err := m.Kill(ctx, bad); err == nil {
			t.Errorf("Kill(%q) succeeded", bad)
		}
	}
}
