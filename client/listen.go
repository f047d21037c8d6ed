package client

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/linux-gcs/gcs/internal/transport"
)

// Dial connects to the GCS bridge at addr ("vsock://CID:PORT",
// "unix:///path" or "tcp://HOST:PORT") and returns a Client over the
// connection. ctx bounds only the connection attempt.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	a, err := transport.ParseAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("gcs: %w", err)
	}
	conn, err := transport.Dial(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("gcs: %w", err)
	}
	return New(conn, opts...), nil
}

// Listener waits for a GCS to dial in, which is how the real host gets its
// bridge connection.
type Listener struct {
	ln   net.Listener
	opts []Option
}

// Listen listens on addr ("vsock://CID:PORT", "unix:///path" or
// "tcp://HOST:PORT") for GCS connections. The options apply to every
// accepted Client.
func Listen(addr string, opts ...Option) (*Listener, error) {
	a, err := transport.ParseAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("gcs: %w", err)
	}
	ln, err := transport.Listen(a)
	if err != nil {
		return nil, fmt.Errorf("gcs: %w", err)
	}
	return &Listener{ln: ln, opts: opts}, nil
}

// Addr returns the address the listener listens on.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close stops listening. Clients already accepted are unaffected.
func (l *Listener) Close() error { return l.ln.Close() }

// Accept waits for the next GCS connection and returns a Client over it.
// When ctx ends first, Accept returns an error wrapping context.Cause(ctx)
// (ctx.Err() unless ctx was given a cause) and the listener stays usable.
func (l *Listener) Accept(ctx context.Context) (*Client, error) {
	conn, err := l.accept(ctx)
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return nil, fmt.Errorf("gcs: accept on %s: %w", l.ln.Addr(), err)
	}
	return New(conn, l.opts...), nil
}

// deadliner is implemented by listeners whose Accept can be interrupted by a
// deadline (unix, tcp and vsock listeners).
type deadliner interface {
	SetDeadline(time.Time) error
}

// accept is net.Listener.Accept bounded by ctx.
func (l *Listener) accept(ctx context.Context) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, ok := l.ln.(deadliner)
	if !ok {
		return l.acceptInBackground(ctx)
	}
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = d.SetDeadline(time.Unix(1, 0))
		close(interrupted)
	})
	conn, err := l.ln.Accept()
	if !stop() {
		<-interrupted
		_ = d.SetDeadline(time.Time{}) // make the listener usable again
	}
	return conn, err
}

// acceptInBackground bounds Accept by ctx for listeners without deadlines:
// a connection accepted after ctx ended is closed.
func (l *Listener) acceptInBackground(ctx context.Context) (net.Conn, error) {
	type result struct {
		conn net.Conn
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		conn, err := l.ln.Accept()
		ch <- result{conn, err}
	}()
	select {
	case r := <-ch:
		return r.conn, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.conn != nil {
				_ = r.conn.Close()
			}
		}()
		return nil, ctx.Err()
	}
}
