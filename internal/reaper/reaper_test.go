package reaper

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/testutil"
	"golang.org/x/sys/unix"
)

// newTestReaper starts a Reaper for one test; tests in this package do not
// run in parallel, so only one reaps at a time.
func newTestReaper(t *testing.T, maxUnclaimed int, ttl time.Duration) *Reaper {
	t.Helper()
	r, err := newReaper(testutil.Logger(t), maxUnclaimed, ttl)
	if err != nil {
		t.Fatalf("newReaper: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// receive waits up to d for one exit on ch.
func receive(t *testing.T, ch <-chan Exit, d time.Duration) (Exit, bool) {
	t.Helper()
	select {
	case e, ok := <-ch:
		return e, ok
	case <-time.After(d):
		return Exit{}, false
	}
}

// orphans runs a shell that starts script's background jobs and prints
// their pids, one a line, and returns them; the jobs become our orphans.
func orphans(t *testing.T, r *Reaper, script string) []int {
	t.Helper()
	out, err := r.Output(exec.Command("/bin/sh", "-c", script))
	if err != nil {
		t.Fatalf("running %q: %v", script, err)
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("parsing pid %q from %q: %v", f, out, err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// waitReaped polls until pid no longer exists, i.e. it was reaped.
func waitReaped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for unix.Kill(pid, 0) != unix.ESRCH {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still exists after 5s", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNewMakesSubreaper(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	on, err := isSubreaper()
	if err != nil || !on {
		t.Fatalf("isSubreaper() = %v, %v; want true", on, err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if on, _ := isSubreaper(); on {
		t.Error("still child subreaper after Close")
	}
	if _, err := r.Start(exec.Command("/bin/true")); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v, want ErrClosed", err)
	}
	if _, ok := <-r.Subscribe(1); ok {
		t.Error("Subscribe after Close delivered an exit")
	}
}

func TestInstantExitsConcurrently(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	const n = 500
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			cmd := exec.Command("/bin/true")
			ch, err := r.Start(cmd)
			if err != nil {
				errs <- err
				return
			}
			pid := cmd.Process.Pid
			e, err := r.Wait(cmd, ch)
			switch {
			case err != nil:
				errs <- err
			case e.Pid != pid || e.Code() != 0:
				errs <- errors.New("pid " + strconv.Itoa(pid) + ": got " + e.String())
			}
			select {
			case extra := <-ch:
				errs <- errors.New("second exit delivered: " + extra.String())
			case <-time.After(10 * time.Millisecond):
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.subs) != 0 || r.unclaimed.len() != 0 {
		t.Errorf("left %d subscriptions and %d unclaimed exits, want none", len(r.subs), r.unclaimed.len())
	}
}

func TestExitCodes(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	tests := []struct {
		name         string
		args         []string
		signal       unix.Signal // sent once started, when not 0
		wantCode     int
		wantSignaled bool
	}{
		{"exit 0", []string{"/bin/sh", "-c", "exit 0"}, 0, 0, false},
		{"exit 3", []string{"/bin/sh", "-c", "exit 3"}, 0, 3, false},
		{"SIGKILL", []string{"/bin/sleep", "30"}, unix.SIGKILL, 137, true},
		{"SIGTERM", []string{"/bin/sleep", "30"}, unix.SIGTERM, 143, true},
		{"self SIGKILL", []string{"/bin/sh", "-c", "kill -KILL $$"}, 0, 137, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(tt.args[0], tt.args[1:]...)
			ch, err := r.Start(cmd)
			if err != nil {
				t.Fatal(err)
			}
			if tt.signal != 0 {
				if err := cmd.Process.Signal(tt.signal); err != nil {
					t.Fatalf("signalling: %v", err)
				}
			}
			e, err := r.Wait(cmd, ch)
			if err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if e.Code() != tt.wantCode || e.Signaled() != tt.wantSignaled {
				t.Errorf("exit %s: Code() = %d, Signaled() = %v; want %d, %v", e, e.Code(), e.Signaled(), tt.wantCode, tt.wantSignaled)
			}
		})
	}
}

func TestOrphanGrandchild(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	tests := []struct {
		name   string
		script string
		// dead waits until the orphan was reaped before subscribing.
		dead bool
	}{
		{"subscribe while running", "sleep 0.2 >/dev/null 2>&1 & echo $!", false},
		{"subscribe after death", "sleep 0.2 & echo $!", true},
		{"exit code kept", "(sleep 0.1; exit 7) >/dev/null 2>&1 & echo $!", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pids := orphans(t, r, tt.script)
			if len(pids) != 1 {
				t.Fatalf("got pids %v, want one", pids)
			}
			pid := pids[0]
			if tt.dead {
				waitReaped(t, pid)
			} else if unix.Kill(pid, 0) != nil {
				t.Fatalf("orphan %d already gone; the test needs it running", pid)
			}
			e, ok := receive(t, r.Subscribe(pid), 5*time.Second)
			if !ok {
				t.Fatalf("no exit for orphan %d", pid)
			}
			want := 0
			if strings.Contains(tt.script, "exit 7") {
				want = 7
			}
			if e.Pid != pid || e.Code() != want {
				t.Errorf("exit = %+v (%s), want pid %d code %d", e, e, pid, want)
			}
		})
	}
}

func TestUnclaimedBounded(t *testing.T) {
	tests := []struct {
		name     string
		max      int
		ttl      time.Duration
		orphans  int
		sleep    time.Duration // after the orphans were reaped
		wantKept int
	}{
		{"count", 3, time.Minute, 8, 0, 3},
		{"age", 100, 100 * time.Millisecond, 3, 300 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestReaper(t, tt.max, tt.ttl)
			// Each job outlives the shell, so the shell cannot reap it.
			script := strings.Repeat("sleep 0.05 >/dev/null 2>&1 & echo $!; ", tt.orphans)
			pids := orphans(t, r, script)
			if len(pids) != tt.orphans {
				t.Fatalf("got %d pids, want %d", len(pids), tt.orphans)
			}
			for _, pid := range pids {
				waitReaped(t, pid)
			}
			time.Sleep(tt.sleep)
			r.mu.Lock()
			if n := r.unclaimed.len(); n > tt.max {
				t.Errorf("unclaimed store holds %d, over max %d", n, tt.max)
			}
			r.mu.Unlock()
			kept := 0
			for _, pid := range pids {
				if _, ok := receive(t, r.Subscribe(pid), 20*time.Millisecond); ok {
					kept++
				}
			}
			if kept != tt.wantKept {
				t.Errorf("%d stored exits delivered, want %d", kept, tt.wantKept)
			}
		})
	}
}

func TestSubscribeIgnoresExitOfReusedPid(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	cmd := exec.Command("/bin/sleep", "30")
	ch, err := r.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Pretend an earlier process with this pid ended unclaimed.
	r.mu.Lock()
	r.unclaimed.put(Exit{Pid: pid, Status: 9 << 8, Time: time.Now()})
	r.mu.Unlock()
	sub := r.Subscribe(pid)
	if e, ok := receive(t, sub, 50*time.Millisecond); ok {
		t.Fatalf("Subscribe delivered stale exit %s of a running pid", e)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(cmd, ch); err != nil {
		t.Fatal(err)
	}
	e, ok := receive(t, sub, 5*time.Second)
	if !ok || e.Code() != 137 {
		t.Fatalf("subscriber got %+v, %v; want the SIGKILL exit", e, ok)
	}
}

func TestWaitAfterClose(t *testing.T) {
	r := newTestReaper(t, DefaultMaxUnclaimed, DefaultUnclaimedTTL)
	cmd := exec.Command("/bin/sh", "-c", "sleep 0.2; exit 5")
	ch, err := r.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	e, err := r.Wait(cmd, ch)
	if err != nil || e.Code() != 5 {
		t.Fatalf("Wait after Close = %s, %v; want exit status 5", e, err)
	}
}
