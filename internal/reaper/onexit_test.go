package reaper

import (
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// onExitResult is what an OnExit function read from the Exit channel.
type onExitResult struct {
	e     Exit
	ok    bool
	early bool // fn ran before the exit was on the channel
}

// TestProcessOnExit sets OnExit before the exit, after it, and on a
// process whose Reaper is closed: the function runs once, with the exit on
// the channel, or the channel closed.
func TestProcessOnExit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, r *Reaper, p *Process) // before OnExit
		after  func(t *testing.T, r *Reaper, p *Process) // after OnExit
		want   bool                                      // an Exit, not a closed channel
	}{
		{"set before the exit", nil, kill, true},
		{"set after the exit", func(t *testing.T, r *Reaper, p *Process) {
			kill(t, r, p)
			for deadline := time.Now().Add(10 * time.Second); !p.Reaped(); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("never reaped")
				}
			}
		}, nil, true},
		{"reaper closed", nil, func(t *testing.T, r *Reaper, _ *Process) {
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
			cmd := exec.Command("/bin/sleep", "30")
			p, err := r.StartProcess(cmd)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			got := make(chan onExitResult, 2)
			if tc.before != nil {
				tc.before(t, r, p)
			}
			p.OnExit(func() {
				// Not a blocking read: fn must run once the exit is
				// there, not stand in a goroutine waiting for it.
				select {
				case e, ok := <-p.Exit():
					got <- onExitResult{e: e, ok: ok}
				default:
					got <- onExitResult{early: true}
				}
			})
			if tc.after != nil {
				tc.after(t, r, p)
			}
			var res onExitResult
			select {
			case res = <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("OnExit's function never ran")
			}
			if res.early {
				t.Fatal("OnExit's function ran before the exit was on the Exit channel")
			}
			if res.ok != tc.want || tc.want && (res.e.Pid != p.Pid() || !res.e.Signaled()) {
				t.Fatalf("OnExit read %+v, %v; want an exit by SIGKILL: %v", res.e, res.ok, tc.want)
			}
			select {
			case res = <-got:
				t.Fatalf("OnExit's function ran twice (%+v)", res)
			default:
			}
		})
	}
}

// kill ends p with SIGKILL.
func kill(t *testing.T, _ *Reaper, p *Process) {
	t.Helper()
	if err := p.Signal(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
}
