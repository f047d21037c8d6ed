package reaper

import (
	"os/exec"
	"slices"
	"testing"
)

// TestListChildren: both ways of finding this process's children (the
// per-thread lists, and the /proc scan kernels without them need) name a
// running child and a zombie one, with start times no later than now.
func TestListChildren(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	h := r.Hold() // keeps the zombie unreaped
	defer h.Release()
	sleeper := exec.Command("sleep", "10")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleeper.Process.Kill() }) // reaped by the Reaper
	zombie := orphans(t, r, "(sleep 0.05; exit 0) >/dev/null 2>&1 & echo $!")[0]
	waitState(t, zombie, "Z")
	now := bootTicks()
	for _, tc := range []struct {
		name string
		list func() ([]int, error)
	}{
		{"task children", childPids},
		{"proc scan", scanChildPids},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pids, err := tc.list()
			if err != nil {
				t.Fatal(err)
			}
			for _, pid := range []int{sleeper.Process.Pid, zombie} {
				if !slices.Contains(pids, pid) {
					t.Errorf("children %v lack %d", pids, pid)
				}
			}
		})
	}
	kids, err := listChildren()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kids {
		if k.start > now {
			t.Errorf("child %d started at tick %d, after now (%d)", k.pid, k.start, now)
		}
		if k.pid == zombie && !k.zombie {
			t.Errorf("zombie %d not seen as one", k.pid)
		}
		if k.pid == sleeper.Process.Pid && k.zombie {
			t.Errorf("running %d seen as a zombie", k.pid)
		}
	}
}
