package stdio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/transport"
)

// Bounds of an output connection that re-dials its port.
const (
	// DefaultRedialInterval is the cadence of re-dial attempts after the
	// host end of an output connection went away.
	DefaultRedialInterval = 100 * time.Millisecond
	// DefaultReplayBytes is how much of the most recent output is sent
	// again on a new connection. What a dropped connection loses is what
	// sat in the guest's send buffer and the host's receive buffer (about
	// 88 KiB over Hyper-V sockets); 128 KiB covers it with room to spare.
	DefaultReplayBytes = 128 << 10
	// redialAttemptTimeout bounds one dial attempt, and separately the
	// replay write on the connection it made: a host that accepts the
	// re-dial and never reads must not hold the output copy for good.
	redialAttemptTimeout = 5 * time.Second
)

// Dialer connects one relay port again.
type Dialer func(ctx context.Context) (net.Conn, error)

// RedialOptions configure a RedialConn; zero fields take the defaults.
type RedialOptions struct {
	// Interval is the cadence of re-dial attempts.
	Interval time.Duration
	// ReplayBytes is how much recent output a new connection gets again.
	ReplayBytes int
}

// RedialConn is an output connection (stdout or stderr of a container's
// init) that outlives a dropped host end, as a live migration drops it:
// when a write fails because the peer went away, it re-dials the same port
// every Interval until that succeeds, sends the last ReplayBytes written
// (the host may see some bytes twice, never a gap of up to that size),
// and carries on. Re-dialing ends, and the failed write returns its error,
// when ctx ends (the container is torn down, the daemon exits), when the
// RedialConn is closed, or at its write deadline.
type RedialConn struct {
	ctx      context.Context
	dial     Dialer
	interval time.Duration
	log      *logrus.Entry

	wmu    sync.Mutex // one Write (and re-dial) at a time
	replay *tailBuffer

	mu       sync.Mutex
	conn     net.Conn
	pending  net.Conn  // a re-dialed connection receiving the replay, not yet conn
	deadline time.Time // write deadline, applied to every connection
	closed   bool
	closedC  chan struct{}
}

// NewRedialConn wraps conn, dialed by dial, into a RedialConn.
func NewRedialConn(ctx context.Context, conn net.Conn, dial Dialer, opts RedialOptions, log *logrus.Entry) *RedialConn {
	if opts.Interval <= 0 {
		opts.Interval = DefaultRedialInterval
	}
	if opts.ReplayBytes <= 0 {
		opts.ReplayBytes = DefaultReplayBytes
	}
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &RedialConn{
		ctx: ctx, dial: dial, interval: opts.Interval, log: log,
		replay: newTailBuffer(opts.ReplayBytes), conn: conn, closedC: make(chan struct{}),
	}
}

// RedialOutputs wraps the stdout and stderr connections of c, dialed on
// the given ports of d, into RedialConns that stop re-dialing when ctx
// ends.
func RedialOutputs(ctx context.Context, c Conns, d transport.RelayDialer, stdout, stderr uint32, log *logrus.Entry) Conns {
	wrap := func(conn net.Conn, port uint32, name string) net.Conn {
		if conn == nil {
			return nil
		}
		dial := func(ctx context.Context) (net.Conn, error) { return d.Dial(ctx, port) }
		return NewRedialConn(ctx, conn, dial, RedialOptions{}, log.WithFields(logrus.Fields{"stream": name, "port": port}))
	}
	c.Stdout = wrap(c.Stdout, stdout, "stdout")
	c.Stderr = wrap(c.Stderr, stderr, "stderr")
	return c
}

// current returns the connection in use, or net.ErrClosed.
func (c *RedialConn) current() (net.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, net.ErrClosed
	}
	return c.conn, nil
}

// Write writes b, re-dialing as often as the peer goes away.
func (c *RedialConn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	written := 0
	for {
		conn, err := c.current()
		if err != nil {
			return written, err
		}
		n, err := conn.Write(b[written:])
		if n > 0 {
			c.replay.add(b[written : written+n])
			written += n
		}
		if err == nil {
			return written, nil
		}
		if !peerGone(err) {
			return written, err
		}
		if rerr := c.redial(conn, err); rerr != nil {
			return written, fmt.Errorf("%w (re-dial: %w)", err, rerr)
		}
	}
}

// peerGone reports whether a write failed because the host end went away.
func peerGone(err error) bool {
	for _, e := range []error{syscall.EPIPE, syscall.ECONNRESET, syscall.ENOTCONN, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// redial replaces dead with a new connection that has received the replay
// tail, or returns why it stopped trying.
func (c *RedialConn) redial(dead net.Conn, cause error) error {
	_ = dead.Close()
	log := c.log.WithField("replay", min(c.replay.total, int64(c.replay.size)))
	log.WithError(cause).Info("host end of an output stream went away; re-dialing")
	for attempt := 1; ; attempt++ {
		if err := c.stopped(); err != nil {
			log.WithError(err).WithField("attempts", attempt-1).Info("stopped re-dialing an output stream")
			return err
		}
		err := c.attempt()
		if err == nil {
			log.WithField("attempts", attempt).Info("output stream re-dialed")
			return nil
		}
		log.WithError(err).WithField("attempt", attempt).Debug("re-dial output stream")
		if err := c.pause(); err != nil {
			log.WithError(err).WithField("attempts", attempt).Info("stopped re-dialing an output stream")
			return err
		}
	}
}

// attempt dials once, sends the replay tail and makes the new connection
// the one in use. While the tail is written the connection is pending:
// Close and SetWriteDeadline reach it, and it is closed when the replay
// outlives redialAttemptTimeout, the RedialConn is closed, or c.ctx ends.
func (c *RedialConn) attempt() error {
	c.mu.Lock()
	dl := c.deadline
	c.mu.Unlock()
	end := time.Now().Add(redialAttemptTimeout)
	if !dl.IsZero() && dl.Before(end) {
		end = dl
	}
	dctx, cancel := c.attemptContext(end)
	conn, err := c.dial(dctx)
	cancel()
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	if err := c.setPending(conn); err != nil {
		return err
	}
	err = c.sendReplay(conn)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = nil
	switch {
	case err != nil:
		_ = conn.Close()
		return err
	case c.closed:
		_ = conn.Close()
		return net.ErrClosed
	}
	c.conn = conn
	return nil
}

// attemptContext returns a context derived from c.ctx that ends at end or
// when the RedialConn is closed.
func (c *RedialConn) attemptContext(end time.Time) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithDeadline(c.ctx, end)
	go func() {
		select {
		case <-c.closedC:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// setPending records conn as the connection being replayed to, with the
// current write deadline, unless the RedialConn is closed.
func (c *RedialConn) setPending(conn net.Conn) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		_ = conn.Close()
		return net.ErrClosed
	}
	c.pending = conn
	_ = conn.SetWriteDeadline(c.deadline)
	return nil
}

// sendReplay writes the replay tail to conn, a pending connection. The
// write has a bound of its own, redialAttemptTimeout from now: when that
// passes, c.ctx ends or the RedialConn is closed, conn is closed.
func (c *RedialConn) sendReplay(conn net.Conn) error {
	tail := c.replay.bytes()
	if len(tail) == 0 {
		return nil
	}
	ctx, cancel := c.attemptContext(time.Now().Add(redialAttemptTimeout))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	_, err := conn.Write(tail)
	cutShort := !stop() // conn was closed (or is being closed) by the bound
	switch {
	case cutShort:
		if err == nil { // the bound hit just as the write finished
			err = net.ErrClosed
		}
		return fmt.Errorf("replay %d bytes: %w (%w)", len(tail), err, ctx.Err())
	case err != nil:
		return fmt.Errorf("replay %d bytes: %w", len(tail), err)
	}
	return nil
}

// stopped returns why re-dialing must end now, if it must.
func (c *RedialConn) stopped() error {
	c.mu.Lock()
	closed, dl := c.closed, c.deadline
	c.mu.Unlock()
	switch {
	case closed:
		return net.ErrClosed
	case c.ctx.Err() != nil:
		return c.ctx.Err()
	case !dl.IsZero() && !time.Now().Before(dl):
		return os.ErrDeadlineExceeded
	}
	return nil
}

// pause waits one interval, or less if re-dialing must end first.
func (c *RedialConn) pause() error {
	t := time.NewTimer(c.interval)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.ctx.Done():
		return c.ctx.Err()
	case <-c.closedC:
		return net.ErrClosed
	}
}

// Read reads from the connection in use (the host's close at the end of
// the stream).
func (c *RedialConn) Read(b []byte) (int, error) {
	conn, err := c.current()
	if err != nil {
		return 0, err
	}
	return conn.Read(b)
}

// Close closes the connection in use and ends any re-dialing. It is
// idempotent.
func (c *RedialConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	close(c.closedC)
	if c.pending != nil {
		_ = c.pending.Close()
	}
	return c.conn.Close()
}

// CloseWrite half-closes the connection in use.
func (c *RedialConn) CloseWrite() error {
	conn, err := c.current()
	if err != nil {
		return err
	}
	return transport.CloseWrite(conn)
}

// CloseRead shuts down reading on the connection in use.
func (c *RedialConn) CloseRead() error {
	conn, err := c.current()
	if err != nil {
		return err
	}
	return transport.CloseRead(conn)
}

// LocalAddr returns the local address of the connection in use.
func (c *RedialConn) LocalAddr() net.Addr { return c.use().LocalAddr() }

// RemoteAddr returns the remote address of the connection in use.
func (c *RedialConn) RemoteAddr() net.Addr { return c.use().RemoteAddr() }

// use returns the connection in use, closed or not.
func (c *RedialConn) use() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn
}

// SetDeadline sets both deadlines.
func (c *RedialConn) SetDeadline(t time.Time) error {
	_ = c.SetWriteDeadline(t)
	return c.SetReadDeadline(t)
}

// SetReadDeadline sets the read deadline of the connection in use.
func (c *RedialConn) SetReadDeadline(t time.Time) error {
	return c.use().SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline of the connection in use, of
// one receiving the replay and of any later one; re-dialing ends there too.
func (c *RedialConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	if c.pending != nil {
		_ = c.pending.SetWriteDeadline(t)
	}
	return c.conn.SetWriteDeadline(t)
}
