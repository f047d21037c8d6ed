package test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/client"
	"github.com/linux-gcs/gcs/internal/prot"
	"github.com/linux-gcs/gcs/internal/stdio"
)

// procRedialPort is a relay port the test's host accepts on again and
// again, as a host does across a live migration (the harness's relay
// listener accepts once). Ports are chosen far above those the harness
// allocates.
type procRedialPort struct {
	port  uint32
	path  string
	ln    net.Listener
	conns chan net.Conn
}

// procListenRedial listens on relay port port of h's relay directory.
func procListenRedial(h *hostEnv, port uint32) *procRedialPort {
	h.t.Helper()
	dir := filepath.Join(h.dir, "relay")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		h.t.Fatal(err)
	}
	p := &procRedialPort{port: port, path: filepath.Join(dir, fmt.Sprintf("%d.sock", port)), conns: make(chan net.Conn, 8)}
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		h.t.Fatal(err)
	}
	p.ln = ln
	h.t.Cleanup(func() { ln.Close() })
	go func() {
		defer close(p.conns)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.t.Cleanup(func() { c.Close() })
			p.conns <- c
		}
	}()
	return p
}

// accept returns the next connection dialed to the port.
func (p *procRedialPort) accept(t testing.TB, what string) net.Conn {
	t.Helper()
	select {
	case c, ok := <-p.conns:
		if !ok {
			t.Fatalf("%s: port %d closed", what, p.port)
		}
		return c
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: nothing dialed port %d", what, p.port)
	}
	return nil
}

// procReadUntil reads c until what it read contains want, and returns all
// of it.
func procReadUntil(t testing.TB, c net.Conn, want string) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(got, []byte(want)) {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("reading until %q: %v (got %d bytes)", want, err, len(got))
		}
	}
	return got
}

// procStartInitRedial starts id's init with stdin on a harness port and
// stdout on out.
func procStartInitRedial(h *hostEnv, id string, out *procRedialPort) net.Conn {
	h.t.Helper()
	s := h.listenStdio(true, false, false)
	s.settings.StdOut = out.port
	if err := h.c.Start(testCtx(h.t), id); err != nil {
		h.t.Fatal(err)
	}
	params := &prot.ProcessParameters{CreateStdInPipe: true, CreateStdOutPipe: true}
	if _, err := h.c.ExecuteProcess(testCtx(h.t), id, params, s.settings); err != nil {
		h.t.Fatal(err)
	}
	return h.conn(s.in)
}

func procSeq(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "%d\n", i)
	}
	return b.String()
}

// TestProcInitStdoutRedialsAfterDrop drops the host end of a container
// init's stdout mid-stream, with output still unread in it, and expects
// the GCS to dial the same port again and send the rest, replaying enough
// that nothing is lost.
func TestProcInitStdoutRedialsAfterDrop(t *testing.T) {
	forEachRuntime(t, func(t *testing.T, rt string) {
		h := newHostEnv(t, rt)
		id := h.id("redial")
		if err := h.create(id, specFor("sh", "-c", "seq 1 5000; read x; seq 5001 40000")); err != nil {
			t.Fatal(err)
		}
		out := procListenRedial(h, 4000000001)
		in := procStartInitRedial(h, id, out)
		first := out.accept(t, "first stdout connection")
		// Read part of the first phase and drop the connection with the
		// rest of it unread: those bytes are lost with it.
		got1 := make([]byte, 4096)
		first.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.ReadFull(first, got1); err != nil {
			t.Fatal(err)
		}
		first.Close()
		in.Write([]byte("go\n"))
		second := out.accept(t, "re-dialed stdout connection")
		second.SetReadDeadline(time.Now().Add(60 * time.Second))
		got2, err := io.ReadAll(second)
		if err != nil {
			t.Fatalf("read re-dialed stdout: %v (got %d bytes)", err, len(got2))
		}
		if code := h.wait(id, h.initPid(id)); code != 0 {
			t.Errorf("init exit code %d", code)
		}
		// The replayed tail may repeat bytes the first connection
		// delivered; together they must cover the stream in order.
		whole := procSeq(1, 40000)
		switch {
		case !strings.HasPrefix(whole, string(got1)):
			t.Fatalf("first connection got %d bytes that are not the stream's start", len(got1))
		case !strings.HasSuffix(whole, string(got2)):
			t.Fatalf("re-dialed connection got %d bytes that are not the stream's end (starts %.40q)", len(got2), got2)
		case len(got1)+len(got2) < len(whole):
			t.Fatalf("lost output: %d + %d bytes of %d", len(got1), len(got2), len(whole))
		}
	})
}

// procStacks returns the daemon's goroutine dump.
func procStacks(t testing.TB, c *client.Client) string {
	t.Helper()
	s, err := c.DumpStacks(testCtx(t))
	if err != nil {
		t.Fatalf("dump stacks: %v", err)
	}
	return s
}

// procRedialFrame is the stack frame of an output stream re-dialing.
const procRedialFrame = "(*RedialConn).redial"

// procAwaitRedialing polls the daemon's stacks until an output stream is
// re-dialing.
func procAwaitRedialing(t testing.TB, c *client.Client) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := procStacks(t, c)
		if strings.Contains(s, procRedialFrame) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no output stream re-dialing after 30s; stacks:\n%s", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// procDeleteWithin deletes id after a forced shutdown, within d.
func procDeleteWithin(t *testing.T, h *hostEnv, id string, d time.Duration) {
	t.Helper()
	if err := h.c.ShutdownForced(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		err := h.c.DeleteContainerState(ctx, id)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("delete while the init's stdout was re-dialing: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Delete returns after the init's relay finished, so a re-dial loop
	// still running now would run on with nothing to stop it.
	if s := procStacks(t, h.c); strings.Contains(s, procRedialFrame) {
		t.Fatalf("re-dialing still runs after the container was deleted:\n%s", s)
	}
}

// TestProcInitRedialStopsOnTeardown leaves the init's stdout peer gone for
// good, so the GCS keeps re-dialing, then tears the container down, or
// stops the daemon: no re-dial loop may be left running, nor hold either
// up. A loop nobody stops would still end at the relay's drain bound
// (stdio.DefaultDrainMax, 30 s after the init died), and the teardown
// would wait for it: the teardown must stop it, well within that bound.
func TestProcInitRedialStopsOnTeardown(t *testing.T) {
	bound := stdio.DefaultDrainMax / 2
	tests := []struct {
		name     string
		teardown func(t *testing.T, h *hostEnv, id string)
	}{
		{"delete", func(t *testing.T, h *hostEnv, id string) { procDeleteWithin(t, h, id, bound) }},
		{"daemon exit", func(t *testing.T, h *hostEnv, _ string) {
			h.g.cmd.Process.Signal(syscall.SIGTERM)
			if err := h.g.wait(t, bound); err != nil {
				t.Fatalf("gcs exit: %v", err)
			}
		}},
	}
	forEachRuntime(t, func(t *testing.T, rt string) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newHostEnv(t, rt)
				id := h.id("redial-stop")
				if err := h.create(id, specFor("sh", "-c", "echo first; read x; echo second; exec sleep 1000")); err != nil {
					t.Fatal(err)
				}
				out := procListenRedial(h, 4000000010+uint32(i))
				in := procStartInitRedial(h, id, out)
				first := out.accept(t, "stdout connection")
				procReadUntil(t, first, "first\n")
				// The host is gone for good: nothing listens on the port.
				out.ln.Close()
				os.Remove(out.path)
				first.Close()
				in.Write([]byte("go\n"))
				procAwaitRedialing(t, h.c)
				tt.teardown(t, h, id)
			})
		}
	})
}
