package main

import (
	"strings"
	"testing"
)

// The tests in this file check the habits container people bring from
// docker, ctr and crictl against the real daemon: waiting for a container
// without naming its init, listing containers, prefixes of ids, rm -f.

// TestDaemonWaitInit: wait ID waits for the init without its pid, says on
// stderr that it has no time limit, and exits with the init's code.
func TestDaemonWaitInit(t *testing.T) {
	d := startDaemon(t, "runc")
	d.runDetached(t, "waitinit", waitUntilReleased...)
	var stdout, stderr syncBuffer
	noticed := stderr.notifyOn("with no time limit")
	done := make(chan int, 1)
	go func() { done <- d.gcsctl(t.Context(), nil, &stdout, &stderr, "wait", "waitinit") }()
	waitFor(t, noticed, "wait's notice that it has no time limit")
	d.release(t, "waitinit")
	if code := <-done; code != 5 || stdout.String() != "5\n" {
		t.Errorf("wait ID: exit %d, stdout %q, stderr %q; want 5 and \"5\\n\"", code, stdout.String(), stderr.String())
	}
	// The init can be waited for again, by a prefix of its id.
	if stdout, _ := d.mustCtl(t, 5, "", "wait", "waitin"); stdout != "5\n" {
		t.Errorf("wait PREFIX printed %q", stdout)
	}
	d.mustCtl(t, 0, "", "rm", "waitinit")
	d.mustCtl(t, 0, "", "layers", "remove", "--id", "waitinit")
	if _, _, stderr := d.ctl(t, "", "wait", "waitinit"); !strings.Contains(stderr, "no bundle of container waitinit") {
		t.Errorf("wait on a removed container: stderr %q", stderr)
	}
	d.checkClean(t)
}
