package stdio

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestDialConns(t *testing.T) {
	tests := []struct {
		name          string
		in, out, errS bool
	}{
		{name: "none"},
		{name: "all", in: true, out: true, errS: true},
		{name: "stdout only", out: true},
		{name: "stdin and stderr", in: true, errS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			h := newHost(t)
			c, hc := h.conns(tt.in, tt.out, tt.errS)
			defer c.Close()
			pairs := []struct {
				name  string
				want  bool
				guest net.Conn
				host  net.Conn
			}{
				{"stdin", tt.in, c.Stdin, hc.stdin},
				{"stdout", tt.out, c.Stdout, hc.stdout},
				{"stderr", tt.errS, c.Stderr, hc.stderr},
			}
			for _, p := range pairs {
				if (p.guest != nil) != p.want {
					t.Fatalf("%s connection present = %v, want %v", p.name, p.guest != nil, p.want)
				}
				if !p.want {
					continue
				}
				if _, err := p.guest.Write([]byte(p.name)); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, len(p.name))
				_ = p.host.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := io.ReadFull(p.host, buf); err != nil || string(buf) != p.name {
					t.Fatalf("%s: host read %q, %v", p.name, buf, err)
				}
			}
		})
	}
}

func TestDialConnsFailureClosesOpened(t *testing.T) {
	checkLeaks(t)
	h := newHost(t)
	inPort, inCh := h.port()
	outPort, outCh := h.port()
	const unused = 0x7ffffff0 // nothing listens here
	_, err := DialConns(context.Background(), h.d, inPort, outPort, unused)
	if err == nil || !strings.Contains(err.Error(), "dial stderr connection") {
		t.Fatalf("DialConns = %v, want a stderr dial error", err)
	}
	for _, ch := range []<-chan net.Conn{inCh, outCh} {
		hc := h.accept(ch)
		_ = hc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := hc.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Errorf("host side of an opened stream: %d, %v; want EOF (closed)", n, err)
		}
	}
}
