package daemon

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestAcceptEnds: accept returns a waiting connection, and ends with an
// error once the listener is closed or the context ends, even while
// blocked in Accept. (Transient Accept failures are tested through the
// real binary, whose descriptors the test can exhaust:
// test/hardening_daemon_lifecycle_test.go.)
func TestAcceptEnds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		act     func(ln net.Listener, cancel context.CancelFunc)
		wantErr error // nil: a connection
	}{
		{name: "connection", act: func(ln net.Listener, _ context.CancelFunc) {
			if c, err := net.Dial("unix", ln.Addr().String()); err == nil {
				t.Cleanup(func() { c.Close() })
			}
		}},
		{name: "listener closed", act: func(ln net.Listener, _ context.CancelFunc) { ln.Close() }, wantErr: net.ErrClosed},
		{name: "context ended", act: func(ln net.Listener, cancel context.CancelFunc) {
			cancel()
			ln.Close() // what runListen does when its context ends
		}, wantErr: context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, ln := listenOn(t, "unix://"+filepath.Join(t.TempDir(), "bridge.sock"))
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			d := &Daemon{cfg: Config{Bridge: a}, log: testutil.Logger(t)}
			type result struct {
				c   net.Conn
				err error
			}
			done := make(chan result, 1)
			go func() {
				c, err := d.accept(ctx, ln)
				done <- result{c, err}
			}()
			tc.act(ln, cancel)
			select {
			case r := <-done:
				if r.c != nil {
					r.c.Close()
				}
				if tc.wantErr == nil && r.err != nil || tc.wantErr != nil && !errors.Is(r.err, tc.wantErr) {
					t.Fatalf("accept: %v, want %v", r.err, tc.wantErr)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("accept did not return")
			}
		})
	}
}
