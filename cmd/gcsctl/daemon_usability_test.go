package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tests in this file use gcsctl the way a person does, against the real
// daemon: what happens when another call holds the bridge, when an earlier
// call was interrupted, and stopping a container whose init ignores TERM.

// releaseFile is the file whose appearance in a container ends the inits
// these tests run; the test creates it from the host side, through the
// container's rootfs mount, so that no gcsctl call is needed for it.
const releaseFile = "release"

// waitUntilReleased is an init that exits with 5 once releaseFile exists
// in its root.
var waitUntilReleased = []string{"sh", "-c", "while [ ! -e /" + releaseFile + " ]; do sleep 0.05; done; exit 5"}

// release creates releaseFile in container id's rootfs.
func (d *daemon) release(t *testing.T, id string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(d.root, "c", id, "rootfs", releaseFile), nil, 0o644); err != nil {
		t.Fatalf("release %s: %v", id, err)
	}
}

// runDetached runs args detached as container id and returns its init's pid.
func (d *daemon) runDetached(t *testing.T, id string, args ...string) string {
	t.Helper()
	stdout, _ := d.mustCtl(t, 0, "", append([]string{"run", "-d", "--id", id, d.rootfs}, args...)...)
	var gotID, pid string
	if n, _ := fmt.Sscan(stdout, &gotID, &pid); n != 2 || gotID != id {
		t.Fatalf("run -d printed %q", stdout)
	}
	return pid
}

// waitGone waits until process pid (a pid of this machine: the daemon runs
// in its pid namespace) has been reaped.
func waitGone(t *testing.T, pid string) {
	t.Helper()
	deadline := time.Now().Add(commandTimeout)
	for {
		b, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %s still there", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDaemonLateReplyToInterruptedCall: a wait interrupted before the
// process exits leaves the GCS holding its answer for the next connection,
// which the next gcsctl call receives first. That call must go on.
func TestDaemonLateReplyToInterruptedCall(t *testing.T) {
	d := startDaemon(t, "runc", "-loglevel", "trace") // trace: the log shows each request received
	pid := d.runDetached(t, "late", waitUntilReleased...)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	var werr syncBuffer
	go func() { done <- d.gcsctl(ctx, nil, &werr, &werr, "wait", "late", pid) }()
	deadline := time.Now().Add(commandTimeout)
	for !strings.Contains(d.log.String(), "type=ComputeSystemWaitForProcessV1") {
		if time.Now().After(deadline) {
			t.Fatalf("the GCS never received the WaitForProcess; log:\n%s", d.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel() // interrupted, as by ^C
	<-done
	d.release(t, "late")
	waitGone(t, pid)                 // the answer is now held for the next connection
	d.mustCtl(t, 0, "", "negotiate") // receives the held answer first
	d.mustCtl(t, 0, "", "rm", "late")
	d.mustCtl(t, 0, "", "layers", "remove", "--id", "late")
	d.checkClean(t)
}

// TestDaemonBusyBridgeNotice: while an attached run holds the bridge,
// another call says that it waits for it instead of hanging silently.
func TestDaemonBusyBridgeNotice(t *testing.T) {
	d := startDaemon(t, "runc")
	var runOut, runErr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- d.gcsctl(t.Context(), nil, &runOut, &runErr, append([]string{"run", "--rm", "--id", "busy", d.rootfs}, waitUntilReleased...)...)
	}()
	waitForBundle(t, d, "busy")
	code, _, stderr := d.ctl(t, "", "--timeout", "4s", "negotiate")
	if code != exitFailed || !strings.Contains(stderr, "gcsctl: waiting for the bridge at unix://") {
		t.Errorf("negotiate while the bridge is held: exit %d, stderr %q; want 1 and the notice", code, stderr)
	}
	d.release(t, "busy")
	if code := <-done; code != 5 {
		t.Errorf("the attached run exited %d, want 5; stderr %q", code, runErr.String())
	}
	d.checkClean(t)
}

// waitForBundle waits until the rootfs of container id is mounted.
func waitForBundle(t *testing.T, d *daemon, id string) {
	t.Helper()
	deadline := time.Now().Add(commandTimeout)
	for {
		if _, err := os.Stat(filepath.Join(d.root, "c", id, "rootfs", "bin")); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rootfs of %s never appeared", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDaemonStop: stop ends an init that handles TERM with TERM, and one
// that ignores it with KILL after the grace period; rm then succeeds.
func TestDaemonStop(t *testing.T) {
	d := startDaemon(t, "runc")
	tests := []struct {
		name, script string
		code         string // the init's exit code, as wait prints it
		killed       bool   // stop says it escalated
	}{
		{"handles TERM", "trap 'exit 143' TERM; touch /tmp/ready; while :; do sleep 0.05; done", "143", false},
		{"ignores TERM", "trap '' TERM; touch /tmp/ready; while :; do sleep 0.05; done", "137", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("stop%d", i)
			pid := d.runDetached(t, id, "sh", "-c", tt.script)
			waitForFile(t, d, id, "/tmp/ready")
			_, stderr := d.mustCtl(t, 0, "", "stop", "--time", "1s", id)
			if got := strings.Contains(stderr, "killing it"); got != tt.killed {
				t.Errorf("stop escalated to KILL: %v, want %v (stderr %q)", got, tt.killed, stderr)
			}
			code := 137
			fmt.Sscan(tt.code, &code)
			if stdout, _ := d.mustCtl(t, code, "", "wait", id, pid); stdout != tt.code+"\n" {
				t.Errorf("wait printed %q", stdout)
			}
			d.mustCtl(t, 0, "", "rm", id)
			d.mustCtl(t, 0, "", "layers", "remove", "--id", id)
		})
	}
	d.checkClean(t)
}
