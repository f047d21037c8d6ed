package stdio

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// stuckConn is an output connection whose writes block until the test
// releases them, whatever Close or a write deadline say: a copy that
// closing its connection cannot interrupt.
type stuckConn struct {
	net.Conn
	writing chan struct{} // closed when the first write blocks
	release chan struct{}
	once    sync.Once
}

// newStuckConn returns a stuckConn; the caller releases it with free.
func newStuckConn() *stuckConn {
	a, b := net.Pipe()
	_ = b.Close()
	return &stuckConn{Conn: a, writing: make(chan struct{}), release: make(chan struct{})}
}

// free unblocks the write and closes the connection.
func (c *stuckConn) free() {
	close(c.release)
	_ = c.Conn.Close()
}

// Write blocks until the test ends, then fails.
func (c *stuckConn) Write([]byte) (int, error) {
	c.once.Do(func() { close(c.writing) })
	<-c.release
	return 0, net.ErrClosed
}

// stuckRelay is a relay whose stdout copy is blocked in a stuckConn write.
type stuckRelay interface {
	Wait(ctx context.Context) error
	Close()
}

// A copy that abort cannot interrupt must not hold Wait past its context,
// nor Close for good: process.watch would never publish the exit, and the
// host's wait and delete would hang. Before, both waited for the copy
// without limit.
func TestRelayStuckCopyDoesNotHoldWaitOrClose(t *testing.T) {
	relays := []struct {
		name  string
		start func(t *testing.T, stdout *stuckConn) stuckRelay
	}{
		{name: "pipe", start: startStuckPipeRelay},
		{name: "tty", start: startStuckTTYRelay},
	}
	for _, rl := range relays {
		for _, how := range []string{"Wait", "Close"} {
			t.Run(rl.name+"/"+how, func(t *testing.T) {
				stdout := newStuckConn()
				r := rl.start(t, stdout)
				select {
				case <-stdout.writing:
				case <-time.After(5 * time.Second):
					t.Fatal("output never reached the connection")
				}
				done := make(chan error, 1)
				go func() {
					if how == "Close" {
						r.Close()
						done <- nil
						return
					}
					ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
					defer cancel()
					done <- r.Wait(ctx)
				}()
				select {
				case err := <-done:
					if how == "Wait" && !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("Wait = %v, want deadline exceeded", err)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("%s still blocked by a stuck copy after 5s", how)
				}
			})
		}
	}
}

// freeStuck, registered after the relay's Close so that it runs first,
// unblocks the stuck copy and waits for it to end (it logs to t).
func freeStuck(t *testing.T, stdout *stuckConn, c *copies) {
	t.Cleanup(func() {
		stdout.free()
		<-c.done
	})
}

// startStuckPipeRelay starts a PipeRelay whose stdout copy is blocked in
// stdout.
func startStuckPipeRelay(t *testing.T, stdout *stuckConn) stuckRelay {
	r, err := NewPipeRelay(Conns{Stdout: stdout}, PipeOptions{Timeouts: Timeouts{DrainIdle: time.Minute, DrainMax: time.Minute}}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	freeStuck(t, stdout, &r.copies)
	_, w, _ := r.ChildIO()
	r.Start()
	if _, err := w.Write([]byte("out\n")); err != nil {
		t.Fatal(err)
	}
	r.CloseChildEnds()
	return r
}

// startStuckTTYRelay starts a TTYRelay whose stdout copy is blocked in
// stdout.
func startStuckTTYRelay(t *testing.T, stdout *stuckConn) stuckRelay {
	master, slavePath, err := NewPty()
	if err != nil {
		t.Fatal(err)
	}
	r := NewTTYRelayWithTimeouts(master, Conns{Stdout: stdout}, Timeouts{DrainIdle: time.Minute, DrainMax: time.Minute}, testLog(t))
	t.Cleanup(r.Close)
	freeStuck(t, stdout, &r.copies)
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	t.Cleanup(func() { _ = slave.Close() })
	r.Start()
	if _, err := slave.Write([]byte("out\n")); err != nil {
		t.Fatal(err)
	}
	return r
}
