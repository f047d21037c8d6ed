package transport

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listenerAddr converts a unix or tcp listener's address back to an Addr.
func listenerAddr(t *testing.T, ln net.Listener) Addr {
	t.Helper()
	switch la := ln.Addr().(type) {
	case *net.UnixAddr:
		return Addr{Network: NetworkUnix, Path: la.Name}
	case *net.TCPAddr:
		return Addr{Network: NetworkTCP, Host: la.IP.String(), Port: uint32(la.Port)}
	}
	t.Fatalf("unexpected listener address %T", ln.Addr())
	return Addr{}
}

func TestListenUnixCreatesParentDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	a := Addr{Network: NetworkUnix, Path: filepath.Join(dir, "gcs.sock")}
	ln, err := Listen(a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Fatalf("parent dir mode = %v, want 0700", perm)
	}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(a.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("socket file still present after Close: %v", err)
	}
}

func TestListenUnixRemovesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stale.sock")
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("stale socket not left behind: %v", err)
	}

	a := Addr{Network: NetworkUnix, Path: path}
	ln, err := Listen(a)
	if err != nil {
		t.Fatalf("Listen over stale socket: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	accepted := acceptAsync(t, ln)
	c, err := Dial(testCtx(t, 5*time.Second), a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	exchangeHalfClose(t, c, recvConn(t, accepted))
}

func TestListenUnixRefusesToClobber(t *testing.T) {
	dir := t.TempDir()

	t.Run("regular file", func(t *testing.T) {
		path := filepath.Join(dir, "file.sock")
		if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		ln, err := Listen(Addr{Network: NetworkUnix, Path: path})
		if err == nil {
			_ = ln.Close()
			t.Fatal("Listen replaced a regular file")
		}
		if !strings.Contains(err.Error(), "not a socket") {
			t.Fatalf("unexpected error: %v", err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "keep me" {
			t.Fatalf("regular file was modified: %q, %v", b, err)
		}
	})

	t.Run("live socket", func(t *testing.T) {
		a := Addr{Network: NetworkUnix, Path: filepath.Join(dir, "live.sock")}
		ln, err := Listen(a)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				_ = c.Close()
			}
		}()
		ln2, err := Listen(a)
		if err == nil {
			_ = ln2.Close()
			t.Fatal("second Listen on a live socket succeeded")
		}
		if !strings.Contains(err.Error(), "in use") {
			t.Fatalf("unexpected error: %v", err)
		}
	})
}

func TestListenTCPv6(t *testing.T) {
	ln, err := Listen(Addr{Network: NetworkTCP, Host: "::1"})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	a := listenerAddr(t, ln)
	if s := a.String(); !strings.HasPrefix(s, "tcp://[::1]:") {
		t.Fatalf("String() = %q", s)
	}
	accepted := acceptAsync(t, ln)
	c, err := Dial(testCtx(t, 5*time.Second), a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	exchangeHalfClose(t, c, recvConn(t, accepted))
}

func TestListenErrors(t *testing.T) {
	tests := []struct {
		name   string
		addr   Addr
		errSub string
	}{
		{"stdio", Addr{Network: NetworkStdio}, "stdio cannot be listened on"},
		{"zero", Addr{}, "empty address"},
		{"unknown", Addr{Network: "udp"}, "unknown network"},
		{"relative unix", Addr{Network: NetworkUnix, Path: "rel.sock"}, "not absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := Listen(tt.addr)
			if err == nil {
				_ = ln.Close()
				t.Fatal("Listen succeeded")
			}
			if !strings.Contains(err.Error(), tt.errSub) || !strings.HasPrefix(err.Error(), "listen ") {
				t.Fatalf("error %q, want prefix %q and mention of %q", err, "listen ", tt.errSub)
			}
		})
	}
}

func TestCloseWriteFallsBackToClose(t *testing.T) {
	a, b := net.Pipe()
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	if err := CloseWrite(a); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Read(make([]byte, 1)); err == nil {
		t.Fatal("peer read succeeded after fallback Close")
	}
	c, d := net.Pipe()
	t.Cleanup(func() { _ = c.Close(); _ = d.Close() })
	if err := CloseRead(c); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write after fallback Close: %v", err)
	}
}
