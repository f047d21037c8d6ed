package test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/storage/mount/mounttest"
	"github.com/linux-gcs/gcs/internal/testutil"
)

// Follow-ups to the daemon's teardown, through the real binary: what a
// teardown cut short still owes the containers known dead, what starts
// a teardown besides a signal, and what the daemon says it listens on.

// teardownDeadInits is how many containers whose init has already ended
// TestTeardownCutShortCleansDeadInits has the daemon tear down: before the
// fix each was left behind with a chance of one half (a select between the
// init's end and the ended teardown), so all of them were cleaned up by
// chance once in 2^8.
const teardownDeadInits = 8

// waitFile waits until path exists, failing the test if the daemon exits
// first or nothing comes within 30 s.
func waitFile(t *testing.T, g *gcsProc, path, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if g.exited() || time.Now().After(deadline) {
			t.Fatalf("%s never happened:\n%s", what, g.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wantCutShortExit waits for the daemon to exit, at most 30 s (half the
// teardown's own bound), and fails t unless it exited with status 1: it
// did not stop cleanly.
func wantCutShortExit(t *testing.T, g *gcsProc) {
	t.Helper()
	err := g.wait(t, 30*time.Second)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("gcs exit after a teardown cut short: %v, want status 1", err)
	}
}

// forgetRuntimeState deletes what the runtime keeps of the containers
// under the daemon's runtime root, for a test whose daemon was stopped
// before it could.
func forgetRuntimeState(t *testing.T, rt, root string, ids []string) {
	t.Helper()
	for _, id := range ids {
		if _, err := os.Stat(filepath.Join(root, id)); err != nil {
			continue
		}
		if out, err := exec.Command(rt, "--root", root, "delete", "--force", id).CombinedOutput(); err != nil {
			t.Errorf("%s delete %s: %v: %s", rt, id, err, out)
		}
	}
}

// TestTeardownCutShortCleansDeadInits: a second SIGTERM cuts the
// teardown short while the runtime's delete hangs; the containers whose
// init had already ended (waited for by the host) still get their
// clean-up: their bundle is removed and their rootfs overlay unmounted.
// Only the runtime's own state of those whose delete was never run is
// left (the runtime is what a cut-short teardown no longer runs).
func TestTeardownCutShortCleansDeadInits(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "delete-started")
	h := newHostEnv(t, slowDeleteRuntime(t, "runc", marker), "-runtime-timeout", "10m", "-disable-time-sync", "-kmsgLogLevel", "0")
	var ids []string
	for range teardownDeadInits {
		id, pid := startRunning(t, h, "dead", specFor("true"))
		if code := h.wait(id, pid); code != 0 {
			t.Fatalf("init of %s exited %d", id, code)
		}
		ids = append(ids, id)
	}
	t.Cleanup(func() {
		if h.g.exited() {
			unmountBelow(t, h.dir)
			forgetRuntimeState(t, "runc", filepath.Join(h.root, "runtime"), ids)
		}
	})
	if err := h.g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFile(t, h.g, marker, "the teardown's runtime delete")
	if err := h.g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wantCutShortExit(t, h.g)
	var left []string
	for _, id := range ids {
		if es := mounttest.MountsBelow(t, h.bundle(id)); len(es) > 0 {
			left = append(left, id+": "+es[0].FSType+" mounted at "+es[0].Point)
		} else if _, err := os.Lstat(h.bundle(id)); err == nil {
			left = append(left, id+": bundle "+h.bundle(id)+" kept")
		}
	}
	if len(left) > 0 {
		t.Errorf("%d of %d containers whose init had ended were left behind by the cut-short teardown:\n%s",
			len(left), len(ids), strings.Join(left, "\n"))
	}
}

// stdioHostEnv is newHostEnv with the bridge on the daemon's stdin and
// stdout (-use-inouterr) instead of a socket.
func stdioHostEnv(t *testing.T, runtime string, extra ...string) *hostEnv {
	t.Helper()
	h, relayPrefix := hostBase(t, runtime)
	testutil.NoLeaks(t, h.root, filepath.Join(h.root, "runtime"))
	args := append([]string{"-relay", relayPrefix, "-root", h.root, "-runtime", runtime}, extra...)
	h.g, h.c = stdioGCS(t, args...)
	if _, err := h.c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestTeardownNotBySignalCutShortByOne: a teardown the daemon started
// without a signal (the end of its stdin with -use-inouterr, or Shutdown
// of the utility VM with -shutdown-action exit) is a stop already under
// way, so the first SIGTERM is the one that cuts it short: the daemon
// says so and exits with status 1 without waiting for the runtime's
// delete, which hangs (-runtime-timeout 10m; the teardown's own bound is
// 60 s, the 30 s allowed below half of it).
func TestTeardownNotBySignalCutShortByOne(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(t *testing.T, rt string, extra ...string) *hostEnv
		stop func(t *testing.T, h *hostEnv)
	}{
		{
			name: "stdin closed",
			env:  stdioHostEnv,
			stop: func(t *testing.T, h *hostEnv) { h.c.Close() },
		},
		{
			name: "shutdown action exit",
			env:  func(t *testing.T, rt string, extra ...string) *hostEnv { return newHostEnv(t, rt, extra...) },
			stop: func(t *testing.T, h *hostEnv) {
				// Answered once the teardown ends, if ever: not waited for.
				go h.c.ShutdownForced(context.Background(), prot.NullContainerID)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "delete-started")
			h := tc.env(t, slowDeleteRuntime(t, "runc", marker), "-runtime-timeout", "10m", "-disable-time-sync", "-kmsgLogLevel", "0")
			startRunning(t, h, "teardown", specFor("sleep", "1000"))
			t.Cleanup(func() {
				if h.g.exited() {
					unmountBelow(t, h.dir)
				}
			})
			tc.stop(t, h)
			waitFile(t, h.g, marker, "the teardown's runtime delete")
			if err := h.g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			wantCutShortExit(t, h.g)
			if !strings.Contains(h.g.log(), "the teardown stops waiting") {
				t.Errorf("the signal that cut the teardown short was not logged as such:\n%s", h.g.log())
			}
		})
	}
}

// listenAddrRE finds the address the daemon says it listens on.
var listenAddrRE = regexp.MustCompile(`msg="listening for the host".* addr="?([^" ]+)`)

// TestListenLogsTheAddressGot: with -bridge tcp://127.0.0.1:0 the kernel
// picks the port; the daemon logs the address it got, which a host can
// connect to, not the port 0 it was given.
func TestListenLogsTheAddressGot(t *testing.T) {
	g, _ := listenGCS(t, "-bridge", "tcp://127.0.0.1:0", "-disable-time-sync", "-kmsgLogLevel", "0")
	lifecycleWaitLog(t, g, "listening for the host")
	m := listenAddrRE.FindStringSubmatch(g.log())
	if m == nil {
		t.Fatalf("no address in the log line:\n%s", g.log())
	}
	if strings.HasSuffix(m[1], ":0") {
		t.Fatalf("the daemon logged %s, the port it was given, not the one it got", m[1])
	}
	c := dialGCS(t, m[1])
	if _, err := c.Negotiate(testCtx(t)); err != nil {
		t.Fatalf("negotiate at the logged address %s: %v", m[1], err)
	}
}
