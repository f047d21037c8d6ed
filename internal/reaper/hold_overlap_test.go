package reaper

import (
	"os/exec"
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

// TestHoldReapsSubscribedWithoutListing: while a hold is in force, a
// subscribed child's exit is delivered at once even when the listing of
// children misses it: /proc's per-thread children lists are documented as
// unreliable while children come and go (the kernel's listing is replaced
// here by one that finds nothing, the case CI hit: an init killed while
// runtime calls forked was reaped only after the next runtime call).
func TestHoldReapsSubscribedWithoutListing(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	r.mu.Lock()
	r.listChildren = func() ([]child, error) { return nil, nil }
	r.mu.Unlock()
	h := r.Hold()
	defer h.Release()
	ch, err := r.Start(exec.Command("sh", "-c", "exit 7"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-ch:
		if e.Code() != 7 {
			t.Errorf("exit code %d, want 7", e.Code())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscribed child's exit not delivered within 5 s while a hold is in force")
	}
}
