package reaper

import (
	"os/exec"
	"testing"
)

// BenchmarkRun measures the reaper's hand-off of an exit: /bin/true
// started and waited for through Run (SIGCHLD, the reaping loop, the
// subscriber's channel) against the same run by os/exec, which waits for
// its own child (the floor). Both run in the same process, as the daemon's
// reaper is the child subreaper; the floor's child is reaped by whichever
// wait comes first, so the floor runs with the reaper closed.
func BenchmarkRun(b *testing.B) {
	bin, err := exec.LookPath("true")
	if err != nil {
		b.Skip("no true binary")
	}
	b.Run("reaper", func(b *testing.B) {
		r, err := New(nil)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		for b.Loop() {
			if _, err := r.Run(exec.Command(bin)); err != nil {
				b.Fatal(err)
			}
		}
	})
	// As during a runtime call: a hold is in force, so the exit is found
	// among the children the hold does not cover.
	b.Run("reaper-held", func(b *testing.B) {
		r, err := New(nil)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		h := r.Hold()
		defer h.Release()
		for b.Loop() {
			if _, err := r.Run(exec.Command(bin)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command(bin).Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
