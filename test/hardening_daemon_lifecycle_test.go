package test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
)

// The daemon's life around its connections and its signals, through the
// real binary: what ends it and what must not.

// lifecycleWaitLog waits until the daemon's log contains want, failing
// the test if the daemon exits first or nothing comes within 30 s.
func lifecycleWaitLog(t *testing.T, g *gcsProc, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(g.log(), want) {
		if g.exited() {
			t.Fatalf("gcs exited (%v) before logging %q:\n%s", g.cmd.ProcessState, want, g.log())
		}
		if time.Now().After(deadline) {
			t.Fatalf("gcs never logged %q:\n%s", want, g.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// setNofile sets the soft RLIMIT_NOFILE of process pid and returns the
// limits it had.
func setNofile(t *testing.T, pid int, soft uint64) unix.Rlimit {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Fatalf("read the daemon's RLIMIT_NOFILE: %v", err)
	}
	lim := unix.Rlimit{Cur: soft, Max: old.Max}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		t.Fatalf("set the daemon's RLIMIT_NOFILE: %v", err)
	}
	return old
}

// freeTCPPort returns a loopback port nobody listened on a moment ago.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestLifecycleAcceptErrorRetried: in listen mode a failed Accept is
// transient (here EMFILE: the daemon's descriptors are exhausted by
// lowering its RLIMIT_NOFILE, a real limit on the real process) and must
// not stop the daemon: it logs the error, waits and accepts again, and
// the host connection that was waiting in the backlog is served once
// descriptors are available again.
func TestLifecycleAcceptErrorRetried(t *testing.T) {
	for _, tc := range []struct {
		name string
		addr func(t *testing.T) string // "" listens where listenGCS does
	}{
		{name: "unix", addr: func(*testing.T) string { return "" }},
		{name: "tcp", addr: func(t *testing.T) string { return fmt.Sprintf("tcp://127.0.0.1:%d", freeTCPPort(t)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			extra := []string{"-disable-time-sync", "-kmsgLogLevel", "0"}
			a := tc.addr(t)
			if a != "" {
				extra = append(extra, "-bridge", a) // the last -bridge wins
			}
			g, addr := listenGCS(t, extra...)
			if a != "" {
				addr = a
			}
			// A first host comes and goes, so that the daemon has
			// started its duties and is back in Accept.
			first := dialGCS(t, addr)
			if _, err := first.Negotiate(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			first.Close()
			lifecycleWaitLog(t, g, "host closed the bridge")

			old := setNofile(t, g.Pid(), 0) // every new descriptor: EMFILE
			restored := false
			restore := func() {
				if !restored {
					restored = true
					if err := unix.Prlimit(g.Pid(), unix.RLIMIT_NOFILE, &old, nil); err != nil && !g.exited() {
						t.Errorf("restore the daemon's RLIMIT_NOFILE: %v", err)
					}
				}
			}
			t.Cleanup(restore)
			// The connection completes in the kernel's backlog; the
			// daemon's accept of it fails.
			c, err := client.Dial(testCtx(t), addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			lifecycleWaitLog(t, g, "accept host connection failed; retrying")
			restore()
			if _, err := c.Negotiate(testCtx(t)); err != nil {
				t.Fatalf("negotiate once descriptors are back: %v", err)
			}
			if g.exited() {
				t.Fatalf("gcs exited:\n%s", g.log())
			}
		})
	}
}
