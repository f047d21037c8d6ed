package stdio

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// unixPair returns two connected unix stream sockets.
func unixPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "pair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = c
	}
	return out[0], out[1]
}

// stalledRedial returns the guest end of a connection whose host reads
// until it closes, and a Dialer whose connections the host accepts (sent
// on the channel) and never reads.
func stalledRedial(t *testing.T) (net.Conn, net.Conn, Dialer, <-chan net.Conn) {
	t.Helper()
	ours, host := unixPair(t)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := host.Read(buf); err != nil {
				return
			}
		}
	}()
	dialed := make(chan net.Conn, 1)
	dial := func(ctx context.Context) (net.Conn, error) {
		a, b := net.Pipe() // unbuffered: a write blocks until b is read
		dialed <- b
		return a, nil
	}
	return ours, host, dial, dialed
}

// A host that takes the re-dial but never reads must not wedge the replay
// write: Close, the write deadline (what the drain sets) and the end of
// the RedialConn's context each end it. Before, none did, so the relay's
// output copy, and PipeRelay.Close waiting for it, hung.
func TestRedialReplayWriteUnbounded(t *testing.T) {
	for _, how := range []string{"Close", "SetWriteDeadline", "ContextEnds"} {
		t.Run(how, func(t *testing.T) {
			ours, host, dial, dialed := stalledRedial(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := NewRedialConn(ctx, ours, dial, RedialOptions{Interval: 10 * time.Millisecond}, nil)
			if _, err := c.Write(make([]byte, 4096)); err != nil {
				t.Fatal(err)
			}
			host.Close() // the host end goes away
			time.Sleep(50 * time.Millisecond)
			done := make(chan error, 1)
			go func() {
				_, err := c.Write([]byte("more"))
				done <- err
			}()
			var b net.Conn
			select {
			case b = <-dialed:
			case <-time.After(5 * time.Second):
				t.Fatal("no re-dial")
			}
			defer b.Close()
			time.Sleep(100 * time.Millisecond)
			switch how {
			case "Close":
				c.Close()
			case "SetWriteDeadline":
				c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			case "ContextEnds":
				cancel()
			}
			select {
			case err := <-done:
				t.Logf("Write returned: %v", err)
			case <-time.After(3 * time.Second):
				t.Fatalf("Write still blocked in the replay 3s after %s", how)
			}
		})
	}
}

// The same wedge seen from the process-wait path: PipeRelay.Wait with a
// bounded context (process.watch gives it 60s) never returns, so the
// process's exit is never published.
func TestPipeRelayWaitWedgedByRedial(t *testing.T) {
	ours, host, dial, dialed := stalledRedial(t)
	out := NewRedialConn(context.Background(), ours, dial, RedialOptions{Interval: 10 * time.Millisecond}, nil)
	r, err := NewPipeRelay(Conns{Stdout: out}, PipeOptions{Timeouts: Timeouts{DrainIdle: 100 * time.Millisecond, DrainMax: 200 * time.Millisecond, HostCloseTimeout: 100 * time.Millisecond}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, stdout, _ := r.ChildIO()
	r.Start()
	if _, err := stdout.Write([]byte("first\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	host.Close() // the host end goes away (live migration)
	time.Sleep(50 * time.Millisecond)
	if _, err := stdout.Write([]byte("second\n")); err != nil {
		t.Fatal(err)
	}
	b := <-dialed // the host accepts the re-dial and never reads
	defer b.Close()
	// the process exits
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Wait(ctx) }()
	select {
	case err := <-done:
		t.Logf("Wait returned %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("PipeRelay.Wait with a 1s context still blocked after 5s")
	}
}
