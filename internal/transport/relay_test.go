package transport

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseRelay(t *testing.T) {
	tests := []struct {
		in, str string
		port    uint32
		want    Addr
	}{
		{"vsock://2", "", 1234, Addr{Network: NetworkVsock, CID: 2, Port: 1234}},
		{"tcp://127.0.0.1", "", 80, Addr{Network: NetworkTCP, Host: "127.0.0.1", Port: 80}},
		{"tcp://[::1]", "", 81, Addr{Network: NetworkTCP, Host: "::1", Port: 81}},
		{"tcp://", "", 82, Addr{Network: NetworkTCP, Host: "localhost", Port: 82}},
		{"unix:///some/dir", "", 0x40000001, Addr{Network: NetworkUnix, Path: "/some/dir/1073741825.sock"}},
		{"unix:///some/dir/", "unix:///some/dir", 7, Addr{Network: NetworkUnix, Path: "/some/dir/7.sock"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseRelay(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.str
			if want == "" {
				want = tt.in
			}
			if d.String() != want {
				t.Fatalf("String() = %q, want %q", d.String(), want)
			}
			if d2, err := ParseRelay(d.String()); err != nil || d2 != d {
				t.Fatalf("round trip: %+v, %v", d2, err)
			}
			got, err := d.Addr(tt.port)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Addr(%d) = %+v, want %+v", tt.port, got, tt.want)
			}
			l, err := ParseRelayListener(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if l.String() != want {
				t.Fatalf("listener String() = %q, want %q", l.String(), want)
			}
		})
	}
}

func TestParseRelayErrors(t *testing.T) {
	for _, in := range []string{
		"", "2", "vsock://", "vsock://2:5", "vsock://x",
		"tcp://127.0.0.1:80", "tcp://::1", "tcp://[::1]:80", "tcp://[::1", "tcp://a/b",
		"unix://rel/dir", "unix://", "stdio://", "-", "udp://1.2.3.4",
	} {
		if d, err := ParseRelay(in); err == nil {
			t.Errorf("ParseRelay(%q) = %v, want error", in, d)
		}
		if l, err := ParseRelayListener(in); err == nil {
			t.Errorf("ParseRelayListener(%q) = %v, want error", in, l)
		}
	}
}

func TestRelayTCPPortRange(t *testing.T) {
	d, err := ParseRelay("tcp://127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Dial(testCtx(t, time.Second), 0x40000001); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("Dial with huge tcp port: %v", err)
	}
}

func TestRelayZeroValues(t *testing.T) {
	if _, err := (RelayDialer{}).Dial(testCtx(t, time.Second), 1); err == nil {
		t.Fatal("zero RelayDialer dialed")
	}
	if _, _, err := (RelayListener{}).Listen(testCtx(t, time.Second)); err == nil {
		t.Fatal("zero RelayListener listened")
	}
}

func TestRelayPairs(t *testing.T) {
	tests := []struct {
		name   string
		prefix func(t *testing.T) string
	}{
		{"unix", func(t *testing.T) string { return "unix://" + filepath.Join(t.TempDir(), "relay") }},
		{"tcp", func(*testing.T) string { return "tcp://127.0.0.1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := tt.prefix(t)
			rl, err := ParseRelayListener(prefix)
			if err != nil {
				t.Fatal(err)
			}
			rd, err := ParseRelay(prefix)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[uint32]bool{}
			for i := range 3 {
				port, ln, err := rl.Listen(testCtx(t, 5*time.Second))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = ln.Close() })
				if seen[port] {
					t.Fatalf("port %d handed out twice", port)
				}
				seen[port] = true
				if tt.name == "unix" && port != RelayPortBase+uint32(i) {
					t.Fatalf("unix port %#x, want %#x", port, RelayPortBase+uint32(i))
				}

				accepted := acceptAsync(t, ln)
				c, err := rd.Dial(testCtx(t, 5*time.Second), port)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = c.Close() })
				exchangeHalfClose(t, c, recvConn(t, accepted))

				// Exactly one connection per port.
				if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
					t.Fatalf("second Accept: %v, want net.ErrClosed", err)
				}
			}
		})
	}
}

func TestRelayListenerUnixFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "relay")
	rl, err := ParseRelayListener("unix://" + dir)
	if err != nil {
		t.Fatal(err)
	}
	// Occupy the first port with a leftover file: it must be skipped, not removed.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	leftover := relaySocketPath(dir, RelayPortBase)
	if err := os.WriteFile(leftover, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	port, ln, err := rl.Listen(testCtx(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	if port != RelayPortBase+1 {
		t.Fatalf("port = %#x, want %#x", port, RelayPortBase+1)
	}
	if _, err := os.Stat(leftover); err != nil {
		t.Fatalf("leftover file removed: %v", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Fatalf("relay dir mode = %v, want 0700", perm)
	}
	path := relaySocketPath(dir, port)
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("socket %s missing: %v", path, err)
	}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ln.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("socket file not removed on Close: %v", err)
	}

	// Copies share the counter.
	cp := rl
	port2, ln2, err := cp.Listen(testCtx(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln2.Close() })
	if port2 != RelayPortBase+2 {
		t.Fatalf("copy port = %#x, want %#x", port2, RelayPortBase+2)
	}
}
