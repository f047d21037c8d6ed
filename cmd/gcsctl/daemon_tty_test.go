package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"
)

// ptySize is the size of the test's terminal.
var ptySize = console.WinSize{Height: 33, Width: 111}

// ptyResult is what a gcsctl run on a pty did.
type ptyResult struct {
	code   int
	output string // what gcsctl wrote to the terminal
	stderr string
	raw    bool // the terminal was put in raw mode meanwhile
}

// runOnPty runs gcsctl with a pty's slave as its stdin and stdout, as a
// terminal would, and types input once gcsctl has put the terminal in raw
// mode. It checks that the terminal's mode is restored at the end.
func runOnPty(t *testing.T, d *daemon, input string, args ...string) ptyResult {
	t.Helper()
	master, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	if err := master.Resize(ptySize); err != nil {
		t.Fatal(err)
	}
	termios := func() *unix.Termios {
		tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		return tio
	}
	before := termios()
	var output, stderr syncBuffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&output, master) // ends when the slave is closed
		close(copied)
	}()
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- d.gcsctl(ctx, slave, slave, &stderr, args...) }()

	var r ptyResult
	if input != "" {
		for termios().Lflag&unix.ECHO != 0 {
			select {
			case code := <-done:
				t.Fatalf("gcsctl exited %d before making the terminal raw: %s", code, stderr.String())
			case <-time.After(5 * time.Millisecond):
			}
		}
		r.raw = true
		if _, err := master.Write([]byte(input)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case r.code = <-done:
	case <-ctx.Done():
		t.Fatalf("gcsctl %s did not end; output so far: %q", strings.Join(args, " "), output.String())
	}
	after := termios()
	if after.Lflag != before.Lflag || after.Iflag != before.Iflag || after.Oflag != before.Oflag {
		t.Errorf("terminal mode not restored: lflag %#x iflag %#x oflag %#x, was %#x %#x %#x",
			after.Lflag, after.Iflag, after.Oflag, before.Lflag, before.Iflag, before.Oflag)
	}
	// gcsctl's stdin copy may still wait for a key: give it one, which it
	// cannot deliver, so that it ends and the slave really closes.
	_, _ = master.Write([]byte("\n"))
	time.Sleep(10 * time.Millisecond)
	slave.Close()
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
	}
	r.output, r.stderr = output.String(), stderr.String()
	return r
}

func TestDaemonTerminal(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		d := startDaemon(t, rt)

		r := runOnPty(t, d, "go\r", "run", "-t", "-i", "--rm", d.rootfs, "sh", "-c", "read x; echo got:$x; stty size; tty; exit 4")
		if r.code != 4 || r.stderr != "" {
			t.Errorf("run -t -i exited %d, stderr %q; want 4", r.code, r.stderr)
		}
		for _, want := range []string{"got:go\r", "33 111\r", "/dev/pts/0\r"} {
			if !strings.Contains(r.output, want) {
				t.Errorf("run -t -i output %q lacks %q", r.output, want)
			}
		}

		out, _ := d.mustCtl(t, 0, "", "run", "-d", "--id", "tty", d.rootfs, "sleep", "1000")
		r = runOnPty(t, d, "go\r", "exec", "-it", "tty", "sh", "-c", "read x; echo got:$x; stty size; echo $TERM")
		if r.code != 0 || !strings.Contains(r.output, "got:go\r") || !strings.Contains(r.output, "33 111\r") || !strings.Contains(r.output, "xterm\r") {
			t.Errorf("exec -t -i exited %d with output %q; stderr %q", r.code, r.output, r.stderr)
		}
		// Without -i the terminal stays as it is, and still gives its size.
		r = runOnPty(t, d, "", "exec", "-t", "tty", "sh", "-c",
			`for i in $(seq 100); do s=$(stty size); [ "$s" = "33 111" ] && break; sleep 0.05; done; echo "size $s"`)
		if r.code != 0 || !strings.Contains(r.output, "size 33 111") {
			t.Errorf("exec -t exited %d with output %q; stderr %q", r.code, r.output, r.stderr)
		}
		d.stop(t, "tty", out)
		d.mustCtl(t, 0, "", "rm", "tty")
		d.mustCtl(t, 0, "", "layers", "remove", "--id", "tty")
		d.checkClean(t)
	})
}

// TestDaemonDetachKeys: ctrl-p ctrl-q, typed to an attached run -it, leaves
// the container running (even a run that would remove it at the end) and
// gcsctl exits 0; an exec -it detaches the same way.
func TestDaemonDetachKeys(t *testing.T) {
	d := startDaemon(t, "runc")
	r := runOnPty(t, d, "\x10\x11", "run", "-it", "--rm", "--id", "det", d.rootfs, "sleep", "1000")
	if r.code != 0 || !strings.Contains(r.stderr, "gcsctl: detached from container det, which goes on") {
		t.Errorf("run -it, detached: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runOnPty(t, d, "\x10\x11", "exec", "-it", "det", "sleep", "999")
	if r.code != 0 || !strings.Contains(r.stderr, "gcsctl: detached from a process of container det") {
		t.Errorf("exec -it, detached: exit %d, stderr %q", r.code, r.stderr)
	}
	stdout, _ := d.mustCtl(t, 0, "", "ps", "det")
	for _, want := range []string{"init  sleep 1000", "-     sleep 999"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("ps after detaching printed\n%s\nwant %q", stdout, want)
		}
	}
	d.mustCtl(t, 0, "", "rm", "-f", "det")
	d.checkClean(t)
}
