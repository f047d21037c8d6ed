package stdio

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// startOnPty starts argv as a session leader with the pty slave at
// slavePath as its controlling terminal and stdio, then closes the test's
// copy of the slave.
func startOnPty(t *testing.T, slavePath string, argv ...string) *os.Process {
	t.Helper()
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	defer slave.Close()
	attr := &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	return startProcess(t, attr, slave, slave, slave, argv...).Process
}

func TestTTYRelay(t *testing.T) {
	tests := []struct {
		name          string
		in, out, errS bool
		resize        bool // Resize(120, 40) before Start
		stdin         string
		argv          []string
		want          string // contained in the output
	}{
		{
			name: "stty size set before start", out: true, errS: true, resize: true,
			argv: []string{"stty", "size"}, want: "40 120\r\n",
		},
		{
			name: "stdin reaches the process", in: true, out: true,
			stdin: "hello\n", argv: []string{"sh", "-c", "read x; echo got:$x"}, want: "got:hello\r\n",
		},
		{
			name: "output discarded without stdout", in: true,
			stdin: "x\n", argv: []string{"sh", "-c", "read x; echo unseen"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			h := newHost(t)
			c, hc := h.conns(tt.in, tt.out, tt.errS)
			master, slavePath, err := NewPty()
			if err != nil {
				t.Fatal(err)
			}
			r := NewTTYRelay(master, c, testLog(t))
			defer r.Close()
			if tt.resize {
				if err := r.Resize(120, 40); err != nil {
					t.Fatal(err)
				}
			}
			proc := startOnPty(t, slavePath, tt.argv...)
			r.Start()
			got := readAll(hc.stdout)
			if hc.stdin != nil {
				if _, err := hc.stdin.Write([]byte(tt.stdin)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := proc.Wait(); err != nil {
				t.Fatal(err)
			}
			waitWithin(t, 5*time.Second, r.Wait)
			if out := string(recv(t, "stdout", got)); !strings.Contains(out, tt.want) {
				t.Errorf("output %q does not contain %q", out, tt.want)
			}
			if err := r.Resize(80, 25); err != nil {
				t.Errorf("Resize after Wait: %v", err)
			}
			if hc.stderr != nil {
				if n, err := hc.stderr.Read(make([]byte, 1)); n != 0 || err == nil {
					t.Errorf("stderr connection still open: %d, %v", n, err)
				}
			}
		})
	}
}

func TestTTYRelayResizeWhileRunning(t *testing.T) {
	checkLeaks(t)
	h := newHost(t)
	c, hc := h.conns(true, true, false)
	master, slavePath, err := NewPty()
	if err != nil {
		t.Fatal(err)
	}
	r := NewTTYRelay(master, c, testLog(t))
	defer r.Close()
	proc := startOnPty(t, slavePath, "sh", "-c", "read x; stty size")
	r.Start()
	got := readAll(hc.stdout)
	if err := r.Resize(100, 30); err != nil {
		t.Fatal(err)
	}
	if _, err := hc.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := proc.Wait(); err != nil {
		t.Fatal(err)
	}
	waitWithin(t, 5*time.Second, r.Wait)
	if out := string(recv(t, "stdout", got)); !strings.Contains(out, "30 100\r\n") {
		t.Errorf("output %q does not contain the new size", out)
	}
}

func TestTTYRelayGrandchildHoldsPty(t *testing.T) {
	checkLeaks(t)
	h := newHost(t)
	c, hc := h.conns(true, true, true)
	master, slavePath, err := NewPty()
	if err != nil {
		t.Fatal(err)
	}
	r := NewTTYRelayWithTimeouts(master, c, Timeouts{DrainIdle: 200 * time.Millisecond}, testLog(t))
	defer r.Close()
	// The ignored SIGHUP survives the session leader's exit in sleep.
	proc := startOnPty(t, slavePath, "sh", "-c", `trap "" HUP; sleep 30 & echo done`)
	r.Start()
	got := readAll(hc.stdout)
	if _, err := proc.Wait(); err != nil {
		t.Fatal(err)
	}
	waitWithin(t, 3*time.Second, r.Wait)
	if out := string(recv(t, "stdout", got)); !strings.Contains(out, "done") {
		t.Errorf("output %q does not contain %q", out, "done")
	}
}

func TestTTYRelayCloseWithoutStart(t *testing.T) {
	checkLeaks(t)
	h := newHost(t)
	c, hc := h.conns(true, true, true)
	master, _, err := NewPty()
	if err != nil {
		t.Fatal(err)
	}
	r := NewTTYRelay(master, c, testLog(t))
	r.Close()
	r.Close()
	r.Start()
	if err := r.Resize(10, 10); err != nil {
		t.Errorf("Resize after Close: %v", err)
	}
	if err := r.Wait(context.Background()); err != nil {
		t.Errorf("Wait after Close: %v", err)
	}
	for _, hcn := range []interface{ Read([]byte) (int, error) }{hc.stdin, hc.stdout, hc.stderr} {
		if n, err := hcn.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Errorf("host read after Close: %d, %v; want EOF", n, err)
		}
	}
}
