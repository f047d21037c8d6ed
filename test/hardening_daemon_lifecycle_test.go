package test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
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

// slowDeleteRuntime writes an OCI runtime wrapper around rt whose delete
// does the real delete, touches marker and then hangs, as a runtime stuck
// on a wedged mount would: the daemon's teardown waits for it.
func slowDeleteRuntime(t *testing.T, rt, marker string) string {
	t.Helper()
	real, err := exec.LookPath(rt)
	if err != nil {
		t.Skipf("no %s: %v", rt, err)
	}
	wrapper := filepath.Join(t.TempDir(), rt+"-slow-delete")
	script := "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = delete ] && { " + real + " \"$@\"; touch " + marker + "; exec sleep 1000; }; done\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return wrapper
}

// TestLifecycleSecondSignalCutsTeardownShort: the first SIGTERM (or
// SIGINT) starts the teardown of the containers, which may wait a long
// time (here a runtime delete that hangs, with -runtime-timeout 10m: the
// daemon's teardown bound, 60 s, is what ends it); a second signal makes
// the teardown stop waiting, logged, and the daemon exits at once with
// status 1 (it did not stop cleanly). The 30 s allowed below is half the
// teardown bound: a daemon that ignored the second signal exits no sooner
// than 60 s after the first.
func TestLifecycleSecondSignalCutsTeardownShort(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second syscall.Signal
	}{
		{"SIGTERM twice", syscall.SIGTERM, syscall.SIGTERM},
		{"SIGINT then SIGTERM", syscall.SIGINT, syscall.SIGTERM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "delete-started")
			h := newHostEnv(t, slowDeleteRuntime(t, "runc", marker), "-runtime-timeout", "10m", "-disable-time-sync", "-kmsgLogLevel", "0")
			startRunning(t, h, "teardown", specFor("sleep", "1000"))
			// A teardown cut short may leave the container's rootfs
			// mounted (that is what cutting it short means); the test
			// cleans up after the daemon.
			t.Cleanup(func() {
				if h.g.exited() {
					unmountBelow(t, h.dir)
				}
			})
			if err := h.g.cmd.Process.Signal(tc.first); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				if _, err := os.Stat(marker); err == nil {
					break
				}
				if h.g.exited() || time.Now().After(deadline) {
					t.Fatalf("the teardown never reached the runtime's delete:\n%s", h.g.log())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := h.g.cmd.Process.Signal(tc.second); err != nil {
				t.Fatal(err)
			}
			err := h.g.wait(t, 30*time.Second)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("gcs exit after a cut-short teardown: %v, want status 1", err)
			}
			if !strings.Contains(h.g.log(), "second signal: the teardown stops waiting") {
				t.Errorf("the second signal was not logged:\n%s", h.g.log())
			}
		})
	}
}

// unmountBelow detaches every mount below dir, deepest first.
func unmountBelow(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Error(err)
		return
	}
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- { // mountinfo lists parents first
		if err := unix.Unmount(points[i], unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", points[i], err)
		}
	}
}

// TestLifecycleBridgeStdioRefused: -bridge stdio:// (or -) names no
// address a daemon can dial or listen on; gcs refuses it as a usage error
// (status 2, pointing at -use-inouterr) instead of starting and stopping
// at once with status 0 and nothing said.
func TestLifecycleBridgeStdioRefused(t *testing.T) {
	for _, bridge := range []string{"stdio://", "-"} {
		t.Run(bridge, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"-v4", "-bridge", bridge, "-disable-time-sync", "-kmsgLogLevel", "0",
				"-relay", "unix://" + filepath.Join(dir, "relay"), "-root", filepath.Join(dir, "root")}, isolation(t)...)
			g := startGCS(t, nil, nil, args...)
			err := g.wait(t, 60*time.Second)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(g.log(), "-use-inouterr") {
				t.Errorf("gcs -bridge %s: %v, want status 2 and a word of -use-inouterr:\n%s", bridge, err, g.log())
			}
		})
	}
}

// fileProc is a gcs started on files the test holds the other ends of
// (startGCS gives it a copying pipe the test cannot close).
type fileProc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once it exited
}

// startGCSFiles starts gcs with the given files as its stdin, stdout and
// stderr (nil: /dev/null), and ends it after the test if it still runs.
func startGCSFiles(t *testing.T, stdin, stdout, stderr *os.File, args ...string) *fileProc {
	t.Helper()
	// After the test: SIGTERM, then SIGKILL 30 s later if still there.
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, gcsBinary, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if stderr != nil {
		cmd.Stderr = stderr
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	p := &fileProc{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// brokenPipe returns the write end of a pipe nobody reads: its read end
// is closed at once. A write to it fails with EPIPE (and SIGPIPE).
func brokenPipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}

// exitedNotKilled waits for p's exit and fails the test if a signal ended
// it (SIGPIPE above all: the daemon dies without tearing anything down).
func (p *fileProc) exitedNotKilled(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatal("gcs did not exit")
	}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("gcs was killed by %v", ws.Signal())
	}
	t.Logf("gcs: %v", p.cmd.ProcessState)
}

// TestLifecycleBrokenPipeNotFatal: a write to a pipe whose reader is gone
// must fail, not kill the daemon. Go kills a program that writes to a
// broken pipe on descriptor 1 or 2 with SIGPIPE unless it handles the
// signal: the daemon's log (stderr) reader going away, or the host
// closing its end of the bridge's stdout under -use-inouterr, would take
// every container with it, torn down by nothing.
func TestLifecycleBrokenPipeNotFatal(t *testing.T) {
	t.Run("stderr log reader gone", func(t *testing.T) {
		logW := brokenPipe(t) // nobody reads the log
		dir := t.TempDir()
		addr := "unix://" + filepath.Join(dir, "bridge.sock")
		args := append([]string{"-v4", "-listen", "-bridge", addr, "-disable-time-sync", "-kmsgLogLevel", "0",
			"-relay", "unix://" + filepath.Join(dir, "relay"), "-root", filepath.Join(dir, "root")}, isolation(t)...)
		p := startGCSFiles(t, nil, nil, logW, args...)
		logW.Close()
		time.Sleep(time.Second) // it has logged its start-up by now
		select {
		case <-p.done:
			p.exitedNotKilled(t)
			t.Fatalf("gcs exited at start-up: %v", p.cmd.ProcessState)
		default:
		}
		c := dialGCS(t, addr)
		if _, err := c.Negotiate(testCtx(t)); err != nil {
			t.Fatalf("negotiate with a daemon whose log nobody reads: %v", err)
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.exitedNotKilled(t)
	})
	t.Run("stdout bridge reader gone", func(t *testing.T) {
		inR, inW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { inW.Close() }) // stdin stays open all along
		outW := brokenPipe(t)             // the host reads no reply
		dir := t.TempDir()
		args := append([]string{"-v4", "-use-inouterr", "-disable-time-sync", "-kmsgLogLevel", "0",
			"-relay", "unix://" + filepath.Join(dir, "relay"), "-root", filepath.Join(dir, "root")}, isolation(t)...)
		p := startGCSFiles(t, inR, outW, nil, args...)
		inR.Close()
		outW.Close()
		body := []byte(`{"MinimumVersion":4,"MaximumVersion":4}`)
		msg := make([]byte, prot.MessageHeaderSize, prot.MessageHeaderSize+len(body))
		prot.MessageHeader{Type: prot.ComputeSystemNegotiateProtocolV1, Size: uint32(len(msg) + len(body)), ID: 1}.Encode(msg)
		if _, err := inW.Write(append(msg, body...)); err != nil {
			t.Fatal(err)
		}
		p.exitedNotKilled(t)
	})
}
