package reaper

import (
	"testing"
	"time"
)

// churnHolds keeps holds in force without a gap until stop is closed, as
// a stream of execs does: every period a new hold begins and the one
// before it ends, so no single hold lasts long enough to lapse.
func churnHolds(r *Reaper, period time.Duration, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		prev := r.Hold()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-stop:
				prev.Release()
				return
			case <-t.C:
			}
			next := r.Hold()
			prev.Release()
			prev = next
		}
	}()
	return done
}

// TestOverlappingHoldsReapOlderZombies: a hold only protects processes
// started after it began, so a stream of overlapping holds (one per
// exec) must not keep an unsubscribed zombie unreaped without end. A
// zombie of the daemon in a container's pid namespace keeps that
// container's init from ending, so this is what delays another
// container's exit notification.
func TestOverlappingHoldsReapOlderZombies(t *testing.T) {
	tests := []struct {
		name string
		// bornDuring starts the orphan while the holds churn, not before.
		bornDuring bool
	}{
		{"orphan born before the holds", false},
		{"orphan born while holds churn", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
			stop := make(chan struct{})
			var done <-chan struct{}
			start := func() { done = churnHolds(r, 20*time.Millisecond, stop) }
			if tt.bornDuring {
				start()
			}
			pid := orphans(t, r, "(sleep 0.1; exit 3) >/dev/null 2>&1 & echo $!")[0]
			if !tt.bornDuring {
				start()
			}
			t.Cleanup(func() { close(stop); <-done })
			// Every hold is released 20 ms after it began, far below
			// holdMax (30 s): the holds that began before the orphan are
			// gone at once, and none of the later ones can own it.
			deadline := time.Now().Add(10 * time.Second)
			for procState(pid) != "" {
				if time.Now().After(deadline) {
					t.Fatalf("orphan %d still in state %q after 10 s of overlapping holds, each released within 20 ms", pid, procState(pid))
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// TestOverlappingHoldsKeepTheirOwn: a hold still in force keeps the
// zombies started after it began, however many other holds come and go.
func TestOverlappingHoldsKeepTheirOwn(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	stop := make(chan struct{})
	done := churnHolds(r, 20*time.Millisecond, stop)
	t.Cleanup(func() { close(stop); <-done })
	h := r.Hold()
	defer h.Release()
	pid := orphans(t, r, "(sleep 0.05; exit 5) >/dev/null 2>&1 & echo $!")[0]
	waitState(t, pid, "Z")
	time.Sleep(200 * time.Millisecond) // many holds begin and end
	if st := procState(pid); st != "Z" {
		t.Fatalf("orphan %d in state %q while the hold it was born under is in force, want an unreaped zombie", pid, st)
	}
	trackAndCheck(t, r, h, pid, false, 5)
}
