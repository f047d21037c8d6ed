package stdio

import (
	"net"
	"sync/atomic"
	"time"
)

// readDeadliner is an output source whose reads can be cut short: a pipe
// read end or a pty master, both pollable *os.File values.
type readDeadliner interface {
	SetReadDeadline(time.Time) error
}

// drain is the end-of-life state shared by a relay's output copies: once
// begun (by Wait, after the process exited) every read from an output
// source is bounded by Timeouts.DrainIdle of silence and by
// Timeouts.DrainMax in total.
type drain struct {
	t       Timeouts
	start   time.Time // written once, before active is set
	active  atomic.Bool
	aborted atomic.Bool // the relay was torn down without draining
}

// begin starts the drain. It must be called at most once.
func (d *drain) begin() {
	d.start = time.Now()
	d.active.Store(true)
}

// deadline is when a read started now must end: DrainIdle from now, but
// not past DrainMax from the start of the drain.
func (d *drain) deadline(now time.Time) time.Time {
	dl := now.Add(d.t.DrainIdle)
	if limit := d.start.Add(d.t.DrainMax); limit.Before(dl) {
		return limit
	}
	return dl
}

// extend pushes src's read deadline forward after output arrived; before
// the drain began it does nothing.
func (d *drain) extend(src readDeadliner) {
	if d.active.Load() {
		_ = src.SetReadDeadline(d.deadline(time.Now()))
	}
}

// arm bounds an output stream when the drain begins: src's next read, and
// every write to conn (nil when output is discarded).
func (d *drain) arm(src readDeadliner, conn net.Conn) {
	_ = src.SetReadDeadline(d.deadline(time.Now()))
	if conn != nil {
		_ = conn.SetWriteDeadline(d.start.Add(d.t.DrainMax))
	}
}
