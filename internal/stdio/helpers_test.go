package stdio

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/transport"
)

// testLog returns a debug logger that writes to t.
func testLog(t *testing.T) *logrus.Entry {
	l := logrus.New()
	l.SetOutput(testWriter{t})
	l.SetLevel(logrus.DebugLevel)
	return logrus.NewEntry(l)
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t *testing.T }

// Write logs p as one line.
func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// checkLeaks fails t if, once every later cleanup has run, more goroutines
// or file descriptors exist than when it was called. Call it first.
func checkLeaks(t *testing.T) {
	t.Helper()
	warm, wp, err := os.Pipe() // make sure the poller's own descriptors exist
	if err != nil {
		t.Fatal(err)
	}
	_ = warm.Close()
	_ = wp.Close()
	g0, f0 := runtime.NumGoroutine(), countFDs(t)
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			g, f := runtime.NumGoroutine(), countFDs(t)
			if g <= g0 && f <= f0 {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("leak: goroutines %d -> %d, fds %d -> %d (%v)\n%s", g0, g, f0, f, listFDs(), buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// countFDs counts this process's open descriptors.
func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("list descriptors: %v", err)
	}
	return len(ents) - 1 // the directory being read
}

// listFDs describes the open descriptors, for leak reports.
func listFDs() []string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var out []string
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		out = append(out, e.Name()+"="+target)
	}
	return out
}

// host stands in for the host's relay ports: unix sockets in a temporary
// directory.
type host struct {
	t  *testing.T
	ln transport.RelayListener
	d  transport.RelayDialer
}

// hostConns are the host's ends of the requested streams.
type hostConns struct {
	stdin, stdout, stderr net.Conn
}

// newHost creates the relay directory and its listener and dialer.
func newHost(t *testing.T) *host {
	dir := t.TempDir()
	ln, err := transport.ParseRelayListener("unix://" + dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := transport.ParseRelay("unix://" + dir)
	if err != nil {
		t.Fatal(err)
	}
	return &host{t: t, ln: ln, d: d}
}

// port listens on a fresh relay port; the channel yields the connection
// accepted on it.
func (h *host) port() (uint32, <-chan net.Conn) {
	port, ln, err := h.ln.Listen(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = ln.Close() })
	ch := make(chan net.Conn, 1)
	go func() {
		defer close(ch)
		if c, err := ln.Accept(); err == nil {
			ch <- c
		}
	}()
	return port, ch
}

// accept returns the connection from ch, closed when the test ends.
func (h *host) accept(ch <-chan net.Conn) net.Conn {
	select {
	case c, ok := <-ch:
		if !ok {
			h.t.Fatal("relay port accepted nothing")
		}
		h.t.Cleanup(func() { _ = c.Close() })
		return c
	case <-time.After(5 * time.Second):
		h.t.Fatal("timed out accepting a relay connection")
	}
	return nil
}

// conns dials the requested streams like the guest does and returns both
// ends.
func (h *host) conns(in, out, errS bool) (Conns, hostConns) {
	var ports [3]uint32
	var chans [3]<-chan net.Conn
	for i, want := range [3]bool{in, out, errS} {
		if want {
			ports[i], chans[i] = h.port()
		}
	}
	c, err := DialConns(context.Background(), h.d, ports[0], ports[1], ports[2])
	if err != nil {
		h.t.Fatal(err)
	}
	var hc hostConns
	for i, dst := range [3]*net.Conn{&hc.stdin, &hc.stdout, &hc.stderr} {
		if chans[i] != nil {
			*dst = h.accept(chans[i])
		}
	}
	return c, hc
}

// readAll reads c to EOF in the background after delay, then closes c as
// the host does; the result is delivered before the close. A nil c yields
// nil.
func readAll(c net.Conn) <-chan []byte {
	return readAllAfter(c, 0)
}

// readAllAfter is readAll starting after delay.
func readAllAfter(c net.Conn, delay time.Duration) <-chan []byte {
	ch := make(chan []byte, 1)
	if c == nil {
		ch <- nil
		return ch
	}
	go func() {
		time.Sleep(delay)
		b, _ := io.ReadAll(c)
		ch <- b
		_ = c.Close()
	}()
	return ch
}

// recv waits for a readAll result.
func recv(t *testing.T, what string, ch <-chan []byte) []byte {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out reading %s", what)
	}
	return nil
}

// startProcess starts argv in its own process group with the given stdio
// and kills the group when the test ends.
func startProcess(t *testing.T, attr *syscall.SysProcAttr, stdin, stdout, stderr *os.File, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.SysProcAttr = attr
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pid, syscall.SIGKILL) // grandchildren in the group
		if cmd.ProcessState == nil {
			_ = cmd.Wait()
		}
	})
	return cmd
}

// waitWithin runs wait and fails t unless it returns within limit.
func waitWithin(t *testing.T, limit time.Duration, wait func(context.Context) error) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit+5*time.Second)
	defer cancel()
	start := time.Now()
	if err := wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	took := time.Since(start)
	if took > limit {
		t.Fatalf("Wait took %v, want at most %v", took, limit)
	}
	return took
}

// writeFile writes data to a new file at path.
func writeFile(path string, data []byte) error {
	return os.WriteFile(path, data, 0o600)
}
