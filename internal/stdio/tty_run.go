package stdio

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/linux-gcs/gcs/internal/transport"
)

// Start starts copying: stdin connection → master (the host half-closing
// stdin is not forwarded to the terminal), master → stdout connection
// until the pty reports the end of output, then half-close, wait (bounded)
// for the host to close, and close. Without a stdout connection the output
// is read and discarded so the process never blocks on a full terminal.
// Start it once the process holds the slave. Only the first call has an
// effect, and none after Wait or Close.
func (r *TTYRelay) Start() {
	r.startOnce.Do(func() {
		if r.pty == nil {
			r.log.WithError(r.setupErr).Error("tty relay not started")
			r.release()
			r.copies.start(0)
			return
		}
		n := 1
		if r.conns[0] != nil {
			n++
		}
		r.copies.start(n)
		go r.runOutput()
		if r.conns[0] != nil {
			go r.runInput()
		}
	})
}

// runInput copies the host's stdin into the terminal.
func (r *TTYRelay) runInput() {
	defer r.copies.end()
	n, err := copyIn(r.conns[0], r.pty)
	logCopy(r.log.WithField("stream", "stdin"), &r.drain, true, n, err)
}

// runOutput copies the terminal's output to the host and ends the stdout
// connection.
func (r *TTYRelay) runOutput() {
	defer r.copies.end()
	log := r.log.WithField("stream", "stdout")
	conn := r.conns[1]
	var dst io.Writer = io.Discard
	if conn != nil {
		dst = conn
	}
	n, err := copyOut(&r.drain, r.pty, dst, true)
	logCopy(log, &r.drain, false, n, err)
	if conn != nil {
		finishOutput(log, conn, r.drain.t.HostCloseTimeout)
		r.connC[1].Close()
	}
}

// Wait is called after the process exited. It drains the terminal's output
// to the host (EIO once the slave is closed everywhere is the normal end),
// bounded like PipeRelay.Wait for a grandchild that keeps the slave open,
// stops the stdin copy, then closes the connections and the master. If ctx
// ends first everything is closed at once and ctx's error returned, after
// at most abortGrace more for a copy that closing did not interrupt. Wait
// is idempotent and safe to call concurrently.
func (r *TTYRelay) Wait(ctx context.Context) error {
	r.startOnce.Do(func() { r.copies.start(0) }) // never started: nothing to drain
	r.drainOnce.Do(r.beginDrain)
	var err error
	select {
	case <-r.copies.done:
	case <-ctx.Done():
		r.abort()
		r.copies.waitAborted(r.log)
		err = fmt.Errorf("drain tty output: %w", ctx.Err())
	}
	r.release()
	if r.setupErr != nil {
		return r.setupErr
	}
	return err
}

// beginDrain bounds the running copies; see Wait.
func (r *TTYRelay) beginDrain() {
	r.drain.begin()
	if r.drain.aborted.Load() {
		return // closed already: nothing left to bound
	}
	if r.pty == nil {
		return
	}
	if conn := r.conns[0]; conn != nil {
		if err := transport.CloseRead(conn); err != nil {
			r.log.WithError(err).WithField("stream", "stdin").Debug("shut down stdin connection reads")
		}
		_ = r.pty.SetWriteDeadline(time.Now())
	}
	r.drain.arm(r.pty, r.conns[1])
}

// abort interrupts the copies by closing everything.
func (r *TTYRelay) abort() {
	r.drain.aborted.Store(true)
	r.release()
}

// release closes the connections, the relay's duplicate and the master.
func (r *TTYRelay) release() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	for i := range r.connC {
		r.connC[i].Close()
	}
	r.ptyC.Close()
	r.masterC.Close()
}

// Close releases everything without draining; copies are interrupted and
// waited for at most abortGrace. It is idempotent.
func (r *TTYRelay) Close() {
	r.closeOnce.Do(func() {
		r.startOnce.Do(func() { r.copies.start(0) })
		r.abort()
		r.copies.waitAborted(r.log)
	})
}
