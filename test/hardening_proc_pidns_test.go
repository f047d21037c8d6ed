package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/testutil"
	"github.com/linux-gcs/gcs/internal/transport"
)

// procStartGCSInPidNS starts the gcs binary as pid 1 of a pid namespace of
// its own (with a private mount namespace and its own /proc), so that a
// test can steer pid allocation in that namespace through its
// ns_last_pid without touching the machine's: pid_max is global on this
// kernel, ns_last_pid is per namespace.
func procStartGCSInPidNS(t testing.TB, args ...string) *gcsProc {
	t.Helper()
	// sh is pid 1 only until it execs the daemon: the daemon is the
	// namespace's init and the test's direct child.
	shArgs := append([]string{"sh", "-c", `mount -t proc proc /proc && exec "$0" "$@"`, gcsBinary}, args...)
	cmd := &exec.Cmd{Path: "/bin/sh", Args: shArgs}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID,
		// Go makes / private in the new mount namespace, so the /proc
		// mount stays in it.
		Unshareflags: syscall.CLONE_NEWNS,
	}
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{b: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gcs in a pid namespace: %v", err)
	}
	g := &gcsProc{cmd: cmd, stderr: &stderr, done: make(chan error, 1)}
	go func() { g.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if !g.exited() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-g.done:
				g.done <- err
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
			}
		}
		if t.Failed() {
			t.Logf("gcs log:\n%s", g.log())
		}
	})
	return g
}

// procNewHostEnvInPidNS is newHostEnv with the daemon in a pid namespace
// of its own (procStartGCSInPidNS).
func procNewHostEnvInPidNS(t testing.TB, runtime string) *hostEnv {
	t.Helper()
	dir := t.TempDir()
	h := &hostEnv{t: t, dir: dir, root: filepath.Join(dir, "root"), runtime: runtime}
	relayPrefix := "unix://" + filepath.Join(dir, "relay")
	rl, err := transport.ParseRelayListener(relayPrefix)
	if err != nil {
		t.Fatal(err)
	}
	h.relay = rl
	// Layers must be inside the daemon's roots, as the host's are.
	h.layer = testutil.BusyboxRootfsAt(t, filepath.Join(h.root, "layers", "busybox"))
	addr := "unix://" + filepath.Join(dir, "bridge.sock")
	args := append([]string{"-v4", "-loglevel", "debug", "-listen", "-bridge", addr,
		"-relay", relayPrefix, "-root", h.root, "-runtime", runtime, "-shutdown-action", "exit"}, isolation(t)...)
	h.g = procStartGCSInPidNS(t, args...)
	h.c = dialGCS(t, addr)
	if _, err := h.c.Negotiate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	h.notes = make(chan *prot.ContainerNotification, 1024)
	go func() {
		for n := range h.c.Notifications() {
			h.notes <- n
		}
	}()
	return h
}

// procReuseRuntime is an OCI runtime wrapper: it runs the real runtime and,
// after an `exec` whose process the daemon has already reaped, gives that
// pid to a new process (a shell that lives 3 s and logs a SIGTERM) through
// ns_last_pid before returning,
// so the pid in the pid file names a stranger by the time the daemon reads
// it. If the daemon keeps the exited process unreaped (a zombie keeps its
// pid) the pid cannot be reused and the wrapper says so. Each decision is
// appended to the returned log file.
func procReuseRuntime(t *testing.T, real string) (runtime, logPath string) {
	t.Helper()
	dir := t.TempDir()
	logPath = filepath.Join(dir, "reuse.log")
	script := fmt.Sprintf(`#!/bin/sh
%q "$@" || exit $?
pidfile= isexec= prev=
for a in "$@"; do
	[ "$prev" = --pid-file ] && pidfile=$a
	[ "$a" = exec ] && isexec=1
	prev=$a
done
[ -n "$isexec" ] && [ -n "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
i=0
while [ -e /proc/$pid ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i+1)); done
if [ -e /proc/$pid ]; then echo "held $pid" >>%q; exit 0; fi
echo $((pid-1)) >/proc/sys/kernel/ns_last_pid
sh -c 'trap "echo stranger signalled >>%s; exit 0" TERM; sleep 3 & wait' </dev/null >/dev/null 2>&1 &
echo "reused $pid by $!" >>%q
`, real, logPath, logPath, logPath)
	// The wrapper keeps the real runtime's name: errors name it.
	runtime = filepath.Join(dir, filepath.Base(real))
	if err := os.WriteFile(runtime, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return runtime, logPath
}

// TestProcExecExitSurvivesPidReuse runs an exec that exits at once while
// its pid is handed to another process before the daemon learns the pid
// from the runtime's pid file. The exec's own exit must be delivered, not
// the stranger's, and the wait must not follow the stranger.
func TestProcExecExitSurvivesPidReuse(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		wrapper, reuseLog := procReuseRuntime(t, rt)
		h := procNewHostEnvInPidNS(t, wrapper)
		id := h.id("reuse")
		if err := h.create(id, specFor("sleep", "1000")); err != nil {
			t.Fatal(err)
		}
		if _, err := h.startInit(id, h.listenStdio(false, false, false)); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			pid, err := h.exec(id, process("sh", "-c", "exit 7"), h.listenStdio(false, false, false))
			if err != nil {
				t.Fatalf("exec %d: %v", i, err)
			}
			// A signal for the exec reaches the exec or nothing.
			if err := h.c.SignalProcess(testCtx(t), id, pid, int32(syscall.SIGTERM)); err != nil && client.HResult(err) != prot.HrElementNotFound {
				t.Fatalf("exec %d: signal: %v", i, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			code, err := h.c.WaitForProcess(ctx, id, pid, 15*time.Second)
			cancel()
			log, _ := os.ReadFile(reuseLog)
			if err != nil || code != 7 {
				t.Fatalf("exec %d (pid %d): wait = %d, %v; want its own exit code 7 (runtime wrapper: %q)", i, pid, code, err, log)
			}
		}
		log, _ := os.ReadFile(reuseLog)
		t.Logf("runtime wrapper: %q", log)
		if strings.Contains(string(log), "stranger signalled") {
			t.Errorf("a signal for an exec reached another process with its pid: %q", log)
		}
		if !strings.Contains(string(log), "held") && !strings.Contains(string(log), "reused") {
			t.Fatalf("the runtime wrapper never ran after an exec: %q", log)
		}
	})
}
