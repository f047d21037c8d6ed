package transport

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// stdioPipes returns a Stdio conn plus the far ends of its pipes: in is
// written by the test and read by the conn, out is written by the conn.
func stdioPipes(t *testing.T) (c net.Conn, in *os.File, out *os.File) {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inR.Close(); _ = inW.Close() })
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = outR.Close(); _ = outW.Close() })
	c = Stdio(inR, outW)
	t.Cleanup(func() { _ = c.Close() })
	return c, inW, outR
}

func TestStdioReadEOF(t *testing.T) {
	c, in, _ := stdioPipes(t)
	if _, err := in.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "hello" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	buf := make([]byte, 8)
	for range 1000 {
		if n, err := c.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("Read after EOF = %d, %v; want 0, io.EOF", n, err)
		}
	}
}

func TestStdioCloseWrite(t *testing.T) {
	c, in, out := stdioPipes(t)
	if _, err := c.Write([]byte("out")); err != nil {
		t.Fatal(err)
	}
	if err := CloseWrite(c); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out)
	if err != nil || string(got) != "out" {
		t.Fatalf("peer ReadAll = %q, %v; want out and EOF", got, err)
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("Write after CloseWrite succeeded")
	}
	// Reading still works after the write half-close.
	if _, err := in.Write([]byte("in")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "in" {
		t.Fatalf("Read after CloseWrite = %q, %v", buf[:n], err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close after CloseWrite: %v", err)
	}
}

func TestStdioCloseRead(t *testing.T) {
	c, _, out := stdioPipes(t)
	if err := CloseRead(c); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Fatalf("Read after CloseRead = %d, %v", n, err)
	}
	if _, err := c.Write([]byte("still")); err != nil {
		t.Fatalf("Write after CloseRead: %v", err)
	}
	buf := make([]byte, 8)
	if n, err := out.Read(buf); err != nil || string(buf[:n]) != "still" {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
}

func TestStdioClose(t *testing.T) {
	c, in, out := stdioPipes(t)
	readErr := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		readErr <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the Read block
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-readErr:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("blocked Read ended with %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	if _, err := io.ReadAll(out); err != nil {
		t.Fatalf("peer of closed writer: %v", err)
	}
	if _, err := in.Write([]byte("x")); err == nil {
		t.Fatal("writing to a closed reader's pipe succeeded")
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestStdioDeadlinesAndAddrs(t *testing.T) {
	c, _, _ := stdioPipes(t)
	if err := c.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read past deadline: %v, want timeout", err)
	}
	if err := c.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []net.Addr{c.LocalAddr(), c.RemoteAddr()} {
		if a.Network() != "stdio" {
			t.Fatalf("addr network %q", a.Network())
		}
	}
}

// stubReader returns (0, nil) forever.
type stubReader struct{}

func (stubReader) Read([]byte) (int, error) { return 0, nil }
func (stubReader) Close() error             { return nil }

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

func TestStdioNoProgressAndNoDeadline(t *testing.T) {
	c := Stdio(stubReader{}, nopWriteCloser{io.Discard})
	t.Cleanup(func() { _ = c.Close() })
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("Read = %v, want io.ErrNoProgress", err)
	}
	if err := c.SetDeadline(time.Now()); !errors.Is(err, os.ErrNoDeadline) {
		t.Fatalf("SetDeadline = %v, want os.ErrNoDeadline", err)
	}
}
