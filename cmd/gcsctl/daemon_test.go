package main

// The harness in this file runs gcsctl in-process against the real gcs
// daemon, built by TestMain and started as a child with its own state
// root, relay directory and cgroup parent, running real containers with
// runc and crun (those installed) from a static busybox rootfs.

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/testutil"
)

// commandTimeout bounds one in-process gcsctl run.
const commandTimeout = 60 * time.Second

// daemon is one test's gcs daemon and what gcsctl needs to reach it.
type daemon struct {
	root   string   // the daemon's -root
	cgroup string   // its -cgroup-parent
	rootfs string   // a busybox rootfs to build containers from
	flags  []string // gcsctl's global flags to reach it
	log    syncBuffer
}

// startDaemon starts gcs with the OCI runtime runtime and, after its usual
// flags, the flags extra. The cleanups check that nothing is left behind
// (mounts, runtime state, cgroups) once the daemon has stopped; checkClean
// checks the same while it still runs.
func startDaemon(t *testing.T, runtime string, extra ...string) *daemon {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: running containers needs root")
	}
	dir, err := os.MkdirTemp("", "gcsctl-e2e-") // short: socket paths must fit sun_path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &daemon{root: filepath.Join(dir, "root")}
	testutil.NoLeaks(t, d.root, filepath.Join(d.root, "runtime"))
	d.cgroup = testutil.CgroupParent(t)
	d.rootfs = testutil.BusyboxRootfsAt(t, filepath.Join(d.root, "layers", "busybox")) // inside the daemon's roots
	bridge := filepath.Join(dir, "bridge.sock")
	relay := "unix://" + filepath.Join(dir, "relay")
	d.flags = []string{"--addr", "unix://" + bridge, "--relay", relay, "--root", d.root}

	args := []string{"-v4", "-loglevel", "debug", "-listen", "-bridge", "unix://" + bridge,
		"-relay", relay, "-root", d.root, "-runtime", runtime, "-cgroup-parent", d.cgroup,
		"-cgroup-favordynmods=false", // kernel-wide: not on the machine the tests share
		"-shutdown-action", "exit"}
	cmd := exec.Command(gcsBinary, append(args, extra...)...)
	cmd.Stdout, cmd.Stderr = &d.log, &d.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gcs: %v", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("gcs did not stop on SIGTERM")
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("gcs log:\n%s", d.log.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Dial, not stat: the socket file exists before the daemon listens.
		if conn, err := net.Dial("unix", bridge); err == nil {
			conn.Close()
			return d
		}
		select {
		case <-done:
			t.Fatalf("gcs exited at start:\n%s", d.log.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("gcs is not listening on %s after 10s:\n%s", bridge, d.log.String())
		}
	}
}

// gcsctl runs gcsctl in-process against the daemon with the given streams
// and returns its exit code.
func (d *daemon) gcsctl(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, args ...string) int {
	return run(ctx, append(append([]string(nil), d.flags...), args...), stdin, stdout, stderr)
}

// ctl runs gcsctl with stdin as its input and returns its exit code and
// output.
func (d *daemon) ctl(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	defer cancel()
	var stdout, stderr syncBuffer
	code := d.gcsctl(ctx, strings.NewReader(stdin), &stdout, &stderr, args...)
	return code, stdout.String(), stderr.String()
}

// mustCtl is ctl for command lines that must exit with code.
func (d *daemon) mustCtl(t *testing.T, code int, stdin string, args ...string) (string, string) {
	t.Helper()
	got, stdout, stderr := d.ctl(t, stdin, args...)
	if got != code {
		t.Fatalf("gcsctl %s: exit code %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, code, stdout, stderr)
	}
	return stdout, stderr
}

// stop kills container id, whose run -d printed runOutput ("ID PID"), and
// waits for its init to exit, as a host does before deleting it: kill does
// not wait, and the GCS refuses to delete a container still running.
func (d *daemon) stop(t *testing.T, id, runOutput string) {
	t.Helper()
	fields := strings.Fields(runOutput)
	if len(fields) != 2 || fields[0] != id {
		t.Fatalf("run -d printed %q, want \"%s PID\"", runOutput, id)
	}
	d.mustCtl(t, 0, "", "kill", id)
	d.mustCtl(t, 137, "", "wait", id, fields[1])
}

// checkClean checks, while the daemon runs, that no container is left
// behind: no mounts under its root, no runtime state, no bundle under
// ROOT/c and no container cgroup under PARENT/pods.
func (d *daemon) checkClean(t *testing.T) {
	t.Helper()
	t.Run("no leaks", func(t *testing.T) {
		testutil.NoLeaks(t, d.root, filepath.Join(d.root, "runtime")) // checks when this subtest ends
		if entries, _ := os.ReadDir(filepath.Join(d.root, "c")); len(entries) > 0 {
			t.Errorf("bundles left in %s: %v", filepath.Join(d.root, "c"), entries)
		}
		for _, pattern := range []string{"/sys/fs/cgroup/*" + d.cgroup + "/pods/*", "/sys/fs/cgroup" + d.cgroup + "/pods/*"} {
			matches, _ := filepath.Glob(pattern)
			for _, m := range matches {
				if fi, err := os.Stat(m); err == nil && fi.IsDir() {
					t.Errorf("container cgroup left: %s", m)
				}
			}
		}
	})
}

// forEachRuntime runs f for runc and crun, those installed.
func forEachRuntime(t *testing.T, f func(t *testing.T, runtime string)) {
	for _, rt := range testutil.Runtimes(t) {
		t.Run(filepath.Base(rt), func(t *testing.T) { f(t, rt) })
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use, for output written
// by gcsctl's copy goroutines and read by the test. notify, if set, is
// closed when the output first contains its trigger.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	trigger string
	notify  chan struct{}
}

// notifyOn returns a channel closed once the output contains s.
func (b *syncBuffer) notifyOn(s string) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trigger, b.notify = s, make(chan struct{})
	return b.notify
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.b.Write(p)
	if b.notify != nil && strings.Contains(b.b.String(), b.trigger) {
		close(b.notify)
		b.notify = nil
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor waits for ch, failing the test after a while.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(commandTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}
