package transport

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// maxEmptyReads is how many consecutive (0, nil) reads Stdio tolerates from
// its reader before failing with io.ErrNoProgress instead of spinning.
const maxEmptyReads = 100

// Stdio returns a net.Conn whose reads come from r and writes go to w (os.Stdin/os.Stdout in the daemon). Close closes both. CloseWrite closes only w. Reads after EOF return io.EOF (never spin).
//
// CloseRead closes only r. Deadlines are supported when r and w support
// them (as *os.File pipes do); otherwise the Set*Deadline methods fail with
// os.ErrNoDeadline. LocalAddr and RemoteAddr report the "stdio" network.
func Stdio(r io.ReadCloser, w io.WriteCloser) net.Conn {
	return &stdioConn{r: r, w: w}
}

// stdioConn implements net.Conn over a reader/writer pair.
type stdioConn struct {
	r io.ReadCloser
	w io.WriteCloser

	eof     atomic.Bool // r reported io.EOF or was half-closed
	closed  atomic.Bool // Close was called
	wClosed atomic.Bool // w was closed

	rOnce, wOnce sync.Once
	rErr, wErr   error
}

// stdioAddr is the net.Addr of both ends of a Stdio conn.
type stdioAddr struct{}

// Network returns "stdio".
func (stdioAddr) Network() string { return NetworkStdio }

// String returns "stdio://".
func (stdioAddr) String() string { return "stdio://" }

// Read reads from r. Once r has reported io.EOF, or after CloseRead, every
// call returns io.EOF without touching r.
func (c *stdioConn) Read(b []byte) (int, error) {
	if c.closed.Load() {
		return 0, c.opErr("read", net.ErrClosed)
	}
	if c.eof.Load() {
		return 0, io.EOF
	}
	if len(b) == 0 {
		return 0, nil
	}
	for range maxEmptyReads {
		n, err := c.r.Read(b)
		if errors.Is(err, io.EOF) {
			c.eof.Store(true)
			return n, io.EOF
		}
		if err != nil {
			if c.closed.Load() {
				return n, c.opErr("read", net.ErrClosed)
			}
			if c.eof.Load() { // CloseRead raced with this Read
				return n, io.EOF
			}
			return n, c.opErr("read", err)
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, c.opErr("read", io.ErrNoProgress)
}

// Write writes to w.
func (c *stdioConn) Write(b []byte) (int, error) {
	if c.closed.Load() {
		return 0, c.opErr("write", net.ErrClosed)
	}
	if c.wClosed.Load() {
		return 0, c.opErr("write", errors.New("write after CloseWrite"))
	}
	n, err := c.w.Write(b)
	if err != nil {
		return n, c.opErr("write", err)
	}
	return n, nil
}

// Close closes both r and w. Calling it again returns the first result.
func (c *stdioConn) Close() error {
	c.closed.Store(true)
	return errors.Join(c.closeWriter(), c.closeReader())
}

// CloseWrite closes w only; the peer sees EOF while reads continue.
func (c *stdioConn) CloseWrite() error {
	return c.closeWriter()
}

// CloseRead closes r only; later reads return io.EOF.
func (c *stdioConn) CloseRead() error {
	return c.closeReader()
}

// closeWriter closes w once.
func (c *stdioConn) closeWriter() error {
	c.wOnce.Do(func() {
		c.wClosed.Store(true)
		if err := c.w.Close(); err != nil {
			c.wErr = c.opErr("close", err)
		}
	})
	return c.wErr
}

// closeReader closes r once and makes later reads return io.EOF.
func (c *stdioConn) closeReader() error {
	c.rOnce.Do(func() {
		c.eof.Store(true)
		if err := c.r.Close(); err != nil {
			c.rErr = c.opErr("close", err)
		}
	})
	return c.rErr
}

// LocalAddr returns the stdio address.
func (c *stdioConn) LocalAddr() net.Addr { return stdioAddr{} }

// RemoteAddr returns the stdio address.
func (c *stdioConn) RemoteAddr() net.Addr { return stdioAddr{} }

// readDeadliner and writeDeadliner are implemented by *os.File.
type readDeadliner interface{ SetReadDeadline(time.Time) error }
type writeDeadliner interface{ SetWriteDeadline(time.Time) error }

// SetDeadline sets both the read and the write deadline.
func (c *stdioConn) SetDeadline(t time.Time) error {
	return errors.Join(c.SetReadDeadline(t), c.SetWriteDeadline(t))
}

// SetReadDeadline sets the read deadline of r if it supports one.
func (c *stdioConn) SetReadDeadline(t time.Time) error {
	d, ok := c.r.(readDeadliner)
	if !ok {
		return c.opErr("set read deadline", os.ErrNoDeadline)
	}
	return d.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline of w if it supports one.
func (c *stdioConn) SetWriteDeadline(t time.Time) error {
	d, ok := c.w.(writeDeadliner)
	if !ok {
		return c.opErr("set write deadline", os.ErrNoDeadline)
	}
	return d.SetWriteDeadline(t)
}

// opErr wraps err like the net package does.
func (c *stdioConn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: NetworkStdio, Source: stdioAddr{}, Addr: stdioAddr{}, Err: err}
}
