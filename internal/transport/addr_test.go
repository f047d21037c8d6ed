package transport

import (
	"strings"
	"testing"
)

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in   string
		want Addr
		str  string // expected String(); "" means same as in
	}{
		{in: "vsock://3:1234", want: Addr{Network: "vsock", CID: 3, Port: 1234}},
		{in: "vsock://4294967295:4294967295", want: Addr{Network: "vsock", CID: 1<<32 - 1, Port: 1<<32 - 1}},
		{in: "unix:///run/gcs/bridge.sock", want: Addr{Network: "unix", Path: "/run/gcs/bridge.sock"}},
		{in: "unix:///run//gcs/../gcs/x.sock", want: Addr{Network: "unix", Path: "/run/gcs/x.sock"}, str: "unix:///run/gcs/x.sock"},
		{in: "tcp://127.0.0.1:8080", want: Addr{Network: "tcp", Host: "127.0.0.1", Port: 8080}},
		{in: "tcp://[::1]:0", want: Addr{Network: "tcp", Host: "::1", Port: 0}},
		{in: "tcp://localhost:65535", want: Addr{Network: "tcp", Host: "localhost", Port: 65535}},
		{in: "TCP://127.0.0.1:1", want: Addr{Network: "tcp", Host: "127.0.0.1", Port: 1}, str: "tcp://127.0.0.1:1"},
		{in: "stdio://", want: Addr{Network: "stdio"}},
		{in: "-", want: Addr{Network: "stdio"}, str: "stdio://"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAddr(tt.in)
			if err != nil {
				t.Fatalf("ParseAddr(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseAddr(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			wantStr := tt.str
			if wantStr == "" {
				wantStr = tt.in
			}
			if s := got.String(); s != wantStr {
				t.Fatalf("String() = %q, want %q", s, wantStr)
			}
			again, err := ParseAddr(got.String())
			if err != nil || again != got {
				t.Fatalf("round trip of %q: got %+v, %v", got.String(), again, err)
			}
		})
	}
}

func TestParseAddrErrors(t *testing.T) {
	tests := []struct {
		name, in, errSub string
	}{
		{"empty", "", "empty address"},
		{"no scheme", "127.0.0.1:80", "missing scheme"},
		{"unknown scheme", "udp://127.0.0.1:80", "unknown network"},
		{"vsock missing port", "vsock://3", "missing vsock port"},
		{"vsock empty port", "vsock://3:", "missing vsock port"},
		{"vsock missing cid", "vsock://:80", "missing vsock CID"},
		{"vsock port out of range", "vsock://3:4294967296", "out of range"},
		{"vsock cid out of range", "vsock://4294967296:1", "out of range"},
		{"vsock bad port", "vsock://3:x", "invalid vsock port"},
		{"vsock negative port", "vsock://3:-1", "invalid vsock port"},
		{"tcp missing port", "tcp://127.0.0.1", "missing port"},
		{"tcp empty port", "tcp://127.0.0.1:", "missing tcp port"},
		{"tcp port out of range", "tcp://127.0.0.1:65536", "out of range"},
		{"tcp missing host", "tcp://:80", "missing tcp host"},
		{"tcp unbracketed v6", "tcp://::1:80", "too many colons"},
		{"tcp path", "tcp://127.0.0.1:80/x", "invalid tcp port"},
		{"unix relative", "unix://relative/path", "not absolute"},
		{"unix empty", "unix://", "missing unix path"},
		{"unix nul", "unix:///a\x00b", "NUL"},
		{"stdio argument", "stdio://x", "no argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAddr(tt.in)
			if err == nil {
				t.Fatalf("ParseAddr(%q) = %+v, want error", tt.in, a)
			}
			if !strings.Contains(err.Error(), tt.errSub) {
				t.Fatalf("ParseAddr(%q) error %q does not mention %q", tt.in, err, tt.errSub)
			}
		})
	}
}

func TestAddrStringInvalid(t *testing.T) {
	for _, a := range []Addr{{}, {Network: "udp"}} {
		if _, err := ParseAddr(a.String()); err == nil {
			t.Errorf("String() of invalid %+v = %q parses", a, a.String())
		}
	}
}
