package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

// cloneParentSource is a container program that starts /bin/true with
// CLONE_PARENT: true becomes a child of the exec's parent, the daemon,
// while it lives in the container's pid namespace, and nobody asked the
// daemon's reaper for it.
const cloneParentSource = `package main

import (
	"os"
	"syscall"
	"time"
)

func main() {
	// Once the runtime that started us is gone, our parent is the
	// daemon (its pid reads 0 from inside the pid namespace either way).
	time.Sleep(300 * time.Millisecond)
	attr := &syscall.ProcAttr{Sys: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_PARENT}}
	if _, err := syscall.ForkExec("/bin/true", []string{"true"}, attr); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
}
`

// buildCloneParent builds cloneParentSource as a static binary and
// returns its path.
func buildCloneParent(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(cloneParentSource), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "cloneparent")
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GO111MODULE=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the CLONE_PARENT helper: %v\n%s", err, out)
	}
	return bin
}

// copyFile copies src to dst with mode.
func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
}

// A container leaves a zombie of the daemon in its own pid namespace
// (CLONE_PARENT from an exec), and its init is killed while another
// container's execs keep the runtime busy without pause (its /etc/passwd
// is a FIFO, so each runtime exec wedges until -runtime-timeout, and a new
// one begins every second). The kernel ends a pid namespace's init only
// once every process in it is reaped, so the exit notification waits for
// the daemon to reap that zombie: the reaper holds of the other
// container's execs, which overlap, must not put it off without end.
func TestHardeningExecStreamDoesNotDelayExitNotification(t *testing.T) {
	helper := buildCloneParent(t)
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt, "-runtime-timeout", rtBound.String())
		copyFile(t, helper, filepath.Join(h.layer, "bin", "cloneparent"), 0o755)
		victim, vpid := startRunning(t, h, "zap", specFor("sleep", "1000"))
		busy := rtStarted(t, h, "busy")
		pid, err := rtExec(t, h, busy, process("sh", "-c", "rm /etc/passwd && mkfifo /etc/passwd"))
		if err != nil {
			t.Fatal(err)
		}
		if code := h.wait(busy, pid); code != 0 {
			t.Fatalf("planting the FIFO exited %d", code)
		}

		// A wedged exec in busy every second, each for rtBound, until
		// the notification came: always one runtime exec at least.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _ = rtExec(t, h, busy, process("true"))
				}()
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		defer wg.Wait()
		defer close(stop)
		time.Sleep(time.Second)

		epid, err := h.exec(victim, process("cloneparent"), h.listenStdio(false, false, false))
		if err != nil {
			t.Fatal(err)
		}
		if code := h.wait(victim, epid); code != 0 {
			t.Fatalf("cloneparent exited %d", code)
		}
		t.Logf("gcs children after cloneparent: %s", childStates(h.g.Pid()))
		if err := h.c.SignalProcess(testCtx(t), victim, vpid, 9); err != nil {
			t.Fatal(err)
		}
		// h.notification fails the test after 30 s; the execs go on
		// all that time.
		start := time.Now()
		if n := h.notification(victim); n.Type != prot.NtForcedExit {
			t.Errorf("notification %s, want %s", n.Type, prot.NtForcedExit)
		}
		t.Logf("exit notification %v after the kill", time.Since(start).Round(time.Millisecond))
	})
}

// childStates lists the children of pid with their command and state,
// for the log.
func childStates(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, c := range strings.Fields(string(b)) {
		st, err := os.ReadFile("/proc/" + c + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(st))
		if len(f) > 2 {
			out = append(out, c+f[1]+f[2])
		}
	}
	return strings.Join(out, " ")
}
