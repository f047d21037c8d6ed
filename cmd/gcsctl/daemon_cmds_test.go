package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/prot"
)

func TestDaemonRun(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		d := startDaemon(t, rt)

		// Output, exit code, and a container left for rm and layers remove.
		stdout, stderr := d.mustCtl(t, 3, "", "run", "--id", "r1", d.rootfs, "sh", "-c", "echo hello; echo oops >&2; exit 3")
		if stdout != "hello\n" || stderr != "oops\n" {
			t.Errorf("run printed %q and %q, want the container's output only", stdout, stderr)
		}
		if _, err := os.Stat(filepath.Join(d.root, "c", "r1", "rootfs", "bin", "busybox")); err != nil {
			t.Errorf("the rootfs of r1 is gone without --rm: %v", err)
		}
		d.mustCtl(t, 0, "", "rm", "r1")
		d.mustCtl(t, 0, "", "layers", "remove", "--id", "r1")
		if _, stderr := d.mustCtl(t, exitFailed, "", "rm", "r1"); !strings.Contains(stderr, "0xc037010e") {
			t.Errorf("second rm: %s, want system not found", stderr)
		}

		// Stdin, the spec's options, and --rm by default with a generated id.
		stdout, stderr = d.mustCtl(t, 0, "abc\n", "run", "-i", "--hostname", "box", "--cwd", "/tmp", "--env", "GREETING=hi",
			"--user", "65534:65534", d.rootfs, "sh", "-c", `read x; echo "got:$x $GREETING $(hostname) $(pwd) $(id -u):$(id -g)"; echo "$PATH"`)
		if want := "got:abc hi box /tmp 65534:65534\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"; stdout != want || stderr != "" {
			t.Errorf("run -i printed %q and %q, want %q", stdout, stderr, want)
		}

		// Without -i the container reads EOF at once.
		if stdout, _ := d.mustCtl(t, 0, "ignored\n", "run", "--rm", "--id", "r2", d.rootfs, "sh", "-c", "cat; echo done"); stdout != "done\n" {
			t.Errorf("run without -i printed %q", stdout)
		}

		// A failed start is undone.
		if _, stderr := d.mustCtl(t, exitNotFound, "", "run", "--id", "r3", d.rootfs, "/no/such/binary"); !strings.Contains(stderr, "no/such/binary") {
			t.Errorf("run of a missing binary: %s", stderr)
		}
		d.checkClean(t)
	})
}

func TestDaemonDetachedContainer(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		d := startDaemon(t, rt)
		stdout, _ := d.mustCtl(t, 0, "", "run", "-d", "--id", "long", d.rootfs, "sleep", "1000")
		var initPid uint32
		if n, err := fmt.Sscanf(stdout, "long %d\n", &initPid); n != 1 || err != nil {
			t.Fatalf("run -d printed %q, want \"long PID\"", stdout)
		}
		pid := strconv.FormatUint(uint64(initPid), 10)

		// Running another container of that id fails and leaves this one be.
		if _, stderr := d.mustCtl(t, exitFailed, "", "run", "--id", "long", d.rootfs, "true"); stderr != "error: container long already exists\n" {
			t.Errorf("run of an existing id: %q", stderr)
		}

		// exec: output, exit code, stdin.
		stdout, stderr := d.mustCtl(t, 5, "", "exec", "long", "sh", "-c", "echo in container; echo err >&2; exit 5")
		if stdout != "in container\n" || stderr != "err\n" {
			t.Errorf("exec printed %q and %q", stdout, stderr)
		}
		if stdout, _ := d.mustCtl(t, 0, "data\n", "exec", "-i", "long", "cat"); stdout != "data\n" {
			t.Errorf("exec -i cat printed %q", stdout)
		}
		// The init runs its command once it is started, after run -d has
		// returned (with the reference too): wait for it to be sleep.
		d.mustCtl(t, 0, "", "exec", "long", "sh", "-c", `i=0; until [ "$(cat /proc/1/comm)" = sleep ] || [ $i -ge 500 ]; do sleep 0.01; i=$((i+1)); done`)
		if stdout, _ := d.mustCtl(t, 0, "", "exec", "--env", "X=1", "--cwd", "/etc", "long", "sh", "-c", "echo $X; pwd; ps"); !regexp.MustCompile(`(?s)^1\n/etc\n.*\n +1 root +sleep 1000\n`).MatchString(stdout) {
			t.Errorf("exec ps printed %q", stdout)
		}

		// ps lists the init; stats count it.
		if stdout, _ := d.mustCtl(t, 0, "", "ps", "-q", "long"); stdout != pid+"\n" {
			t.Errorf("ps -q printed %q, want the init %s", stdout, pid)
		}
		stdout, _ = d.mustCtl(t, 0, "", "ps", "--json", "long")
		var props prot.PropertiesV2
		if err := json.Unmarshal([]byte(stdout), &props); err != nil || len(props.ProcessList) != 1 || props.ProcessList[0].ProcessID != initPid {
			t.Errorf("ps --json printed %q (%v)", stdout, err)
		}
		if stdout, _ := d.mustCtl(t, 0, "", "stats", "long"); !regexp.MustCompile(`(?m)^Pids current:\s+1$`).MatchString(stdout) ||
			!regexp.MustCompile(`(?m)^CPU total:\s+\d+ ns`).MatchString(stdout) || !strings.Contains(stdout, "Memory usage:") {
			t.Errorf("stats printed %q", stdout)
		}
		stdout, _ = d.mustCtl(t, 0, "", "stats", "--json", "long")
		var m prot.Metrics
		if err := json.Unmarshal([]byte(stdout), &m); err != nil || m.Pids == nil || m.Pids.Current != 1 {
			t.Errorf("stats --json printed %q (%v)", stdout, err)
		}

		// A wait with a time limit on a running process times out.
		if _, stderr := d.mustCtl(t, exitFailed, "", "wait", "--timeout", "100ms", "long", pid); !strings.Contains(stderr, "0xc0370109") {
			t.Errorf("timed wait: %s", stderr)
		}

		// kill alone kills the container; wait reports 137, again and again.
		d.mustCtl(t, 0, "", "kill", "long")
		for range 2 {
			if stdout, _ := d.mustCtl(t, 137, "", "wait", "long", pid); stdout != "137\n" {
				t.Errorf("wait printed %q", stdout)
			}
		}
		d.mustCtl(t, 0, "", "rm", "long")
		d.mustCtl(t, 0, "", "layers", "remove", "--id", "long")
		d.checkClean(t)
	})
}

func TestDaemonSignals(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		d := startDaemon(t, rt)
		// As pid 1 of its namespace the init gets only signals it handles.
		stdout, _ := d.mustCtl(t, 0, "", "run", "-d", "--id", "sig", d.rootfs, "sh", "-c",
			"trap 'echo usr1 >/tmp/usr1' USR1; trap 'exit 143' TERM; touch /tmp/ready; while :; do sleep 0.05; done")
		var id, pid string
		if n, _ := fmt.Sscan(stdout, &id, &pid); n != 2 || id != "sig" {
			t.Fatalf("run -d printed %q", stdout)
		}
		waitForFile(t, d, "sig", "/tmp/ready") // the traps are set
		// With a PID: SignalProcess.
		d.mustCtl(t, 0, "", "kill", "--signal", "USR1", "sig", pid)
		waitForFile(t, d, "sig", "/tmp/usr1")
		// TERM without a PID: ShutdownGraceful.
		d.mustCtl(t, 0, "", "kill", "--signal", "SIGTERM", "sig")
		if stdout, _ := d.mustCtl(t, 143, "", "wait", "sig", pid); stdout != "143\n" {
			t.Errorf("wait printed %q", stdout)
		}
		d.mustCtl(t, 0, "", "rm", "sig")
		d.mustCtl(t, 0, "", "layers", "remove", "--id", "sig")
		d.checkClean(t)
	})
}

// waitForFile waits until file exists in container id.
func waitForFile(t *testing.T, d *daemon, id, file string) {
	t.Helper()
	deadline := time.Now().Add(commandTimeout)
	for {
		if code, _, _ := d.ctl(t, "", "exec", id, "test", "-e", file); code == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared in %s", file, id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDaemonRunInterrupted(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		d := startDaemon(t, rt)
		ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
		defer cancel()
		interrupt, stopInterrupt := context.WithCancel(ctx) // what SIGINT does to main's context
		defer stopInterrupt()
		var stdout, stderr syncBuffer
		ready := stdout.notifyOn("ready\n")
		done := make(chan int, 1)
		go func() {
			done <- d.gcsctl(interrupt, nil, &stdout, &stderr, "run", "--rm", "--id", "sig", d.rootfs, "sh", "-c", "echo ready; exec sleep 1000")
		}()
		waitFor(t, ready, "the container to start")
		stopInterrupt()
		select {
		case code := <-done:
			if code != 137 {
				t.Errorf("interrupted run exited %d, want 137; stderr: %s", code, stderr.String())
			}
		case <-ctx.Done():
			t.Fatal("run did not end after the interrupt")
		}
		if _, stderr := d.mustCtl(t, exitFailed, "", "rm", "sig"); !strings.Contains(stderr, "0xc037010e") {
			t.Errorf("the interrupted run left its container: %s", stderr)
		}
		d.checkClean(t)
	})
}

func TestDaemonExecInterrupted(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		d := startDaemon(t, rt)
		out, _ := d.mustCtl(t, 0, "", "run", "-d", "--id", "ex", d.rootfs, "sleep", "1000")
		ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
		defer cancel()
		interrupt, stopInterrupt := context.WithCancel(ctx)
		defer stopInterrupt()
		var stdout, stderr syncBuffer
		ready := stdout.notifyOn("ready\n")
		done := make(chan int, 1)
		go func() {
			done <- d.gcsctl(interrupt, nil, &stdout, &stderr, "exec", "ex", "sh", "-c", "echo ready; exec sleep 999")
		}()
		waitFor(t, ready, "the exec to start")
		stopInterrupt()
		select {
		case code := <-done:
			if code != 137 {
				t.Errorf("interrupted exec exited %d, want 137; stderr: %s", code, stderr.String())
			}
		case <-ctx.Done():
			t.Fatal("exec did not end after the interrupt")
		}
		// The container itself is untouched.
		if stdout, _ := d.mustCtl(t, 0, "", "exec", "ex", "echo", "still here"); stdout != "still here\n" {
			t.Errorf("exec after the interrupt printed %q", stdout)
		}
		d.stop(t, "ex", out)
		d.mustCtl(t, 0, "", "rm", "ex")
		d.mustCtl(t, 0, "", "layers", "remove", "--id", "ex")
		d.checkClean(t)
	})
}

func TestDaemonLayers(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		d := startDaemon(t, rt)
		d.mustCtl(t, 0, "", "layers", "add", "--id", "lay", d.rootfs)
		rootfs := filepath.Join(d.root, "c", "lay", "rootfs")
		if _, err := os.Stat(filepath.Join(rootfs, "bin", "busybox")); err != nil {
			t.Fatalf("layers add did not mount the layer: %v", err)
		}
		if err := os.WriteFile(filepath.Join(rootfs, "new"), []byte("x"), 0o644); err != nil {
			t.Fatalf("the rootfs is not writable: %v", err)
		}
		if _, err := os.Stat(filepath.Join(d.root, "c", "lay", "scratch", "upper", "new")); err != nil {
			t.Errorf("a write did not land in the scratch directory: %v", err)
		}
		d.mustCtl(t, 0, "", "layers", "remove", "--id", "lay")
		if _, err := os.Stat(filepath.Join(rootfs, "bin")); !os.IsNotExist(err) {
			t.Errorf("layers remove left the layer mounted: %v", err)
		}
		d.mustCtl(t, 0, "", "layers", "remove", "--id", "lay") // nothing mounted is fine
		// Without a container, nothing deletes the directories: do it here.
		if err := os.RemoveAll(filepath.Join(d.root, "c", "lay")); err != nil {
			t.Fatal(err)
		}
		d.checkClean(t)
	})
}
