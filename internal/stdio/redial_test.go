package stdio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/transport"
)

func TestTailBuffer(t *testing.T) {
	tests := []struct {
		name string
		size int
		adds []string
		want string
	}{
		{"empty", 4, nil, ""},
		{"filling", 8, []string{"ab", "cd"}, "abcd"},
		{"exactly full", 4, []string{"ab", "cd"}, "abcd"},
		{"wraps", 4, []string{"abc", "def"}, "cdef"},
		{"wraps twice", 4, []string{"abc", "de", "fgh", "i"}, "fghi"},
		{"one add larger than the ring", 4, []string{"ab", "cdefghij"}, "ghij"},
		{"after a large add", 4, []string{"abcdefgh", "xy"}, "ghxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTailBuffer(tt.size)
			var all string
			for _, a := range tt.adds {
				b.add([]byte(a))
				all += a
			}
			if got := string(b.bytes()); got != tt.want {
				t.Errorf("bytes() = %q, want %q", got, tt.want)
			}
			if b.total != int64(len(all)) || cap(b.ring) > tt.size && len(b.ring) > tt.size {
				t.Errorf("total %d ring %d, want %d and at most %d", b.total, len(b.ring), len(all), tt.size)
			}
		})
	}
}

// redialPort is one relay port the test accepts on as often as the
// RedialConn dials it.
type redialPort struct {
	ln    net.Listener
	conns chan net.Conn
	dial  Dialer
}

func newRedialPort(t *testing.T) *redialPort {
	// The relay listener of transport accepts once; a host that takes a
	// re-dial listens on the port's socket itself.
	dir := t.TempDir()
	const port = 4242
	ln, err := net.Listen("unix", filepath.Join(dir, "4242.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	d, err := transport.ParseRelay("unix://" + dir)
	if err != nil {
		t.Fatal(err)
	}
	p := &redialPort{ln: ln, conns: make(chan net.Conn, 4)}
	p.dial = func(ctx context.Context) (net.Conn, error) { return d.Dial(ctx, port) }
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(p.conns)
				return
			}
			t.Cleanup(func() { _ = c.Close() })
			p.conns <- c
		}
	}()
	return p
}

func (p *redialPort) accept(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c, ok := <-p.conns:
		if !ok {
			t.Fatal("relay port closed")
		}
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("timed out accepting a relay connection")
	}
	return nil
}

// newTestRedialConn dials p and wraps the connection; the host's end is
// returned too.
func newTestRedialConn(t *testing.T, ctx context.Context, p *redialPort, replay int) (*RedialConn, net.Conn) {
	t.Helper()
	conn, err := p.dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rc := NewRedialConn(ctx, conn, p.dial, RedialOptions{Interval: 10 * time.Millisecond, ReplayBytes: replay}, testLog(t))
	t.Cleanup(func() { _ = rc.Close() })
	return rc, p.accept(t)
}

func TestRedialConnReplaysAfterDrop(t *testing.T) {
	checkLeaks(t)
	p := newRedialPort(t)
	rc, first := newTestRedialConn(t, context.Background(), p, 8)
	if _, err := rc.Write([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(first, got); err != nil {
		t.Fatal(err)
	}
	_ = first.Close() // the host drops; "456789" is lost with it
	done := make(chan error, 1)
	go func() {
		_, err := rc.Write([]byte("abc"))
		if err == nil { // the replay's own bound must not outlive it
			time.Sleep(50 * time.Millisecond)
			_, err = rc.Write([]byte("def"))
		}
		if err == nil {
			err = rc.CloseWrite()
		}
		done <- err
	}()
	second := p.accept(t)
	rest, err := io.ReadAll(second)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("write across the drop: %v", err)
	}
	// The replay is the last 8 bytes written before the drop was seen.
	if want := "23456789abcdef"; string(rest) != want {
		t.Fatalf("new connection got %q, want %q", rest, want)
	}
}

func TestRedialConnStops(t *testing.T) {
	tests := []struct {
		name string
		stop func(rc *RedialConn, cancel context.CancelFunc)
		want error
	}{
		{"teardown", func(_ *RedialConn, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"close", func(rc *RedialConn, _ context.CancelFunc) { _ = rc.Close() }, net.ErrClosed},
		{"write deadline", func(rc *RedialConn, _ context.CancelFunc) {
			_ = rc.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		}, os.ErrDeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p := newRedialPort(t)
			rc, host := newTestRedialConn(t, ctx, p, 8)
			// The host goes for good: nothing listens on the port.
			_ = p.ln.Close()
			_ = host.Close()
			done := make(chan error, 1)
			go func() {
				_, err := rc.Write(bytes.Repeat([]byte("x"), 10))
				done <- err
			}()
			// Re-dialing runs (and fails) until stopped.
			time.Sleep(50 * time.Millisecond)
			select {
			case err := <-done:
				t.Fatalf("write returned %v while the host was away, want it re-dialing", err)
			default:
			}
			tt.stop(rc, cancel)
			select {
			case err := <-done:
				if !errors.Is(err, tt.want) {
					t.Fatalf("write = %v, want %v", err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("re-dialing did not stop")
			}
		})
	}
}
