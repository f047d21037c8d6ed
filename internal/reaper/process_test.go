package reaper

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// procState reads the state letter of pid from /proc ("Z" for a zombie),
// or "" once the pid is gone.
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return f[0]
}

// waitState polls until pid is in state want (bounded).
func waitState(t *testing.T, pid int, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for procState(pid) != want {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d in state %q, want %q", pid, procState(pid), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHoldKeepsUnsubscribedZombie(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	h := r.Hold()
	defer h.Release()
	// The shell, started through the reaper, is reaped during the hold;
	// its orphan is not.
	pids := orphans(t, r, "(sleep 0.05; exit 7) >/dev/null 2>&1 & echo $!")
	pid := pids[0]
	waitState(t, pid, "Z")
	r.reap() // a sweep during the hold leaves the orphan alone
	if st := procState(pid); st != "Z" {
		t.Fatalf("orphan %d in state %q after a sweep under hold, want an unreaped zombie", pid, st)
	}
	p, err := h.Track(pid)
	if err != nil {
		t.Fatalf("Track: %v", err)
	}
	h.Release()
	e, ok := receive(t, p.Exit(), 10*time.Second)
	if !ok || e.Pid != pid || e.Code() != 7 {
		t.Fatalf("tracked exit = %+v (%s), %v; want pid %d code 7", e, e, ok, pid)
	}
	if !p.Reaped() {
		t.Error("Reaped() false after the exit was delivered")
	}
}

func TestTrack(t *testing.T) {
	tests := []struct {
		name string
		// staleBefore stores an exit of the pid reaped before the hold
		// began (an earlier process with the same pid).
		staleBefore bool
		// lapse lets the orphan be reaped before Track, as a hold that
		// lapsed would.
		lapse    bool
		wantCode int
	}{
		{"running", false, false, 7},
		{"running, stale exit of its pid", true, false, 7},
		{"reaped after the hold began", false, true, 7},
		{"reaped after the hold began, stale exit too", true, true, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
			r.mu.Lock()
			r.seq++ // a reap before the hold began
			staleSeq := r.seq
			r.mu.Unlock()
			h := r.Hold()
			defer h.Release()
			pid := orphans(t, r, "(sleep 0.2; exit 7) >/dev/null 2>&1 & echo $!")[0]
			if tt.staleBefore {
				r.mu.Lock()
				r.unclaimed.put(Exit{Pid: pid, Status: 99 << 8, Time: time.Now(), seq: staleSeq})
				r.mu.Unlock()
			}
			trackAndCheck(t, r, h, pid, tt.lapse, tt.wantCode)
		})
	}
}

func trackAndCheck(t *testing.T, r *Reaper, h *Hold, pid int, lapse bool, want int) {
	t.Helper()
	if lapse {
		r.mu.Lock()
		clear(r.holds)
		r.mu.Unlock()
		r.kick <- struct{}{}
		waitReaped(t, pid)
	}
	p, err := h.Track(pid)
	if err != nil {
		t.Fatalf("Track: %v", err)
	}
	h.Release()
	e, ok := receive(t, p.Exit(), 10*time.Second)
	if !ok || e.Pid != pid || e.Code() != want {
		t.Fatalf("tracked exit = %+v (%s), %v; want pid %d code %d", e, e, ok, pid, want)
	}
}

func TestTrackGone(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	h := r.Hold()
	defer h.Release()
	if _, err := h.Track(1 << 30); err == nil {
		t.Fatal("Track of a pid nobody has succeeded")
	}
	if _, err := h.Track(0); err == nil {
		t.Fatal("Track of pid 0 succeeded")
	}
}

func TestHoldLapses(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	r.mu.Lock()
	r.holdMax = 50 * time.Millisecond
	r.mu.Unlock()
	h := r.Hold() // never released
	_ = h
	pid := orphans(t, r, "sleep 0.01 >/dev/null 2>&1 & echo $!")[0]
	waitReaped(t, pid) // the lapse lets the reaper collect it
}

func TestProcessSignal(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	cmd := exec.Command("/bin/sleep", "30")
	p, err := r.StartProcess(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(unix.SIGTERM); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	e, err := r.Wait(cmd, p.Exit())
	if err != nil || e.Code() != 143 {
		t.Fatalf("Wait = %s, %v; want SIGTERM", e, err)
	}
	if err := p.Signal(unix.SIGKILL); !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("Signal after the exit = %v, want os.ErrProcessDone", err)
	}
	p.r.mu.Lock()
	fd := p.pidfd
	p.r.mu.Unlock()
	if fd != -1 {
		t.Errorf("pidfd %d still open after the exit", fd)
	}
}
