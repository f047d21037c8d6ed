package stdio

import (
	"context"
	"fmt"
	"time"

	"github.com/linux-gcs/gcs/internal/transport"
)

// Start starts copying: stdin connection → pipe, closing the pipe when the
// host half-closes so the process reads EOF; stdout and stderr pipe →
// connection until EOF, then half-close, wait (bounded) for the host to
// close its side, and close. Each stream is copied independently. Only the
// first call has an effect, and none after Wait or Close.
func (r *PipeRelay) Start() {
	r.startOnce.Do(func() {
		var run []*pipeStream
		for _, s := range r.streams {
			if s.conn != nil && s.ours != nil {
				run = append(run, s)
			}
		}
		r.copies.start(len(run))
		for _, s := range run {
			if s.input {
				go r.runInput(s)
			} else {
				go r.runOutput(s)
			}
		}
	})
}

// runInput copies the host's stdin to the process until the host
// half-closes, the process closes its stdin, or Wait stops it.
func (r *PipeRelay) runInput(s *pipeStream) {
	defer r.copies.end()
	n, err := copyIn(s.conn, s.ours)
	s.oursC.Close() // the process reads EOF
	logCopy(r.log.WithField("stream", s.name), &r.drain, true, n, err)
}

// runOutput copies one output pipe to the host until EOF (or the drain
// bound), then ends the connection.
func (r *PipeRelay) runOutput(s *pipeStream) {
	defer r.copies.end()
	log := r.log.WithField("stream", s.name)
	n, err := copyOut(&r.drain, s.ours, s.conn, false)
	s.oursC.Close() // later writes by the process fail with EPIPE
	logCopy(log, &r.drain, false, n, err)
	finishOutput(log, s.conn, r.drain.t.HostCloseTimeout)
	s.connC.Close()
}

// Wait is called after the process exited. It returns once all output has
// been copied to the connections and every connection is closed. The drain
// is bounded: while an output pipe has not reached EOF (a grandchild holds
// it open) copying goes on as long as data flows, and gives up after
// DrainIdle without data or DrainMax in total. The stdin copy is stopped
// (read side of the stdin connection shut down), and the relay's copies of
// the process's ends are dropped if CloseChildEnds was not called. If ctx
// ends first, everything is closed at once and ctx's error returned, after
// at most abortGrace more for a copy that closing did not interrupt. Wait
// is idempotent and safe to call concurrently; copy failures are logged,
// not returned.
func (r *PipeRelay) Wait(ctx context.Context) error {
	r.startOnce.Do(func() { r.copies.start(0) }) // never started: nothing to drain
	r.CloseChildEnds()
	r.drainOnce.Do(r.beginDrain)
	var err error
	select {
	case <-r.copies.done:
	case <-ctx.Done():
		r.abort()
		r.copies.waitAborted(r.log)
		err = fmt.Errorf("drain process stdio: %w", ctx.Err())
	}
	r.release()
	return err
}

// beginDrain bounds every running copy; see Wait.
func (r *PipeRelay) beginDrain() {
	r.drain.begin()
	if r.drain.aborted.Load() {
		return // closed already: nothing left to bound
	}
	for _, s := range r.streams {
		if s.conn == nil || s.ours == nil {
			continue
		}
		if s.input {
			if err := transport.CloseRead(s.conn); err != nil {
				r.log.WithError(err).WithField("stream", s.name).Debug("shut down stdin connection reads")
			}
			_ = s.ours.SetWriteDeadline(time.Now())
			continue
		}
		r.drain.arm(s.ours, s.conn)
	}
}

// abort interrupts every copy by closing the connections and the relay's
// pipe ends.
func (r *PipeRelay) abort() {
	r.drain.aborted.Store(true)
	r.release()
}

// release closes the connections and the relay's pipe ends.
func (r *PipeRelay) release() {
	for _, s := range r.streams {
		s.connC.Close()
		s.oursC.Close()
	}
}

// Close releases everything without draining: copies are interrupted and
// waited for (at most abortGrace), connections and all pipe ends closed.
// It is idempotent.
func (r *PipeRelay) Close() {
	r.closeOnce.Do(func() {
		r.startOnce.Do(func() { r.copies.start(0) })
		r.abort()
		r.copies.waitAborted(r.log)
		r.CloseChildEnds()
	})
}
