package bridge

import (
	"context"
	"sync/atomic"
	"time"
)

// watch lets the goroutine holding a connection's reading turn serve the
// requests it reads itself, and passes the turn on for it when one of them
// takes long.
//
// Passing the turn to another goroutine before serving each request, so
// that reading goes on meanwhile, wakes another thread (a futex call,
// 10-15 µs in a VM) on the way to every reply, and a timer armed per
// request wakes the runtime's network poller just the same. Instead the
// holder marks the request it serves in state, an atomic word, and a
// watch goroutine ticking every period passes the turn on when it finds
// the same request still being served at two ticks in a row: a slow
// request holds up the reading of those behind it for two periods at most.
// After quietTicks ticks with no new request the watch stops ticking; the
// next request then has the turn passed on before it is served, as nobody
// watches it, and wakes the watch.
type watch struct {
	c      *serverConn
	period time.Duration
	state  atomic.Uint64 // seq<<1 | 1 while request seq is served by the turn holder; handedOff once the watch passed the turn on
	seq    uint64        // the last request held; touched only by the turn holder
	on     atomic.Bool   // the watch is ticking
	wake   chan struct{} // one token starts a stopped watch
}

// handedOff is the state once the watch has taken the turn from a request
// that outlasted a tick.
const handedOff = ^uint64(0)

// quietTicks is how many ticks without a new request stop the watch.
const quietTicks = 8

func newWatch(c *serverConn, period time.Duration) *watch {
	return &watch{c: c, period: period, wake: make(chan struct{}, 1)}
}

// hold is called by the turn holder before it serves a request. If the
// watch is ticking it returns the request's mark and true: the holder
// serves the request keeping the turn and calls release with the mark.
// Otherwise it wakes the watch and returns false: the holder must pass the
// turn on before serving. A nil watch always returns false.
func (w *watch) hold() (uint64, bool) {
	if w == nil {
		return 0, false
	}
	w.seq++
	mark := w.seq<<1 | 1
	w.state.Store(mark)
	if w.on.Load() {
		return mark, true
	}
	// Stopped (or stopping, in which case it saw mark and goes on). Unmark
	// the request unless the watch already took the turn from it, which
	// leaves the holder serving without the turn, as release will tell.
	if !w.state.CompareAndSwap(mark, mark&^1) {
		return mark, true
	}
	if w.on.CompareAndSwap(false, true) {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return 0, false
}

// release is called by the holder once the request marked mark was
// served; it reports whether the holder still has the turn.
func (w *watch) release(mark uint64) bool {
	return w.state.CompareAndSwap(mark, mark&^1)
}

// run is the watch's goroutine: stopped until woken, then ticking until
// the connection is quiet, until reading ends.
func (w *watch) run(ctx context.Context) {
	defer w.c.srv.wg.Done()
	t := time.NewTicker(w.period)
	t.Stop()
	for {
		select {
		case <-w.wake:
		case <-w.c.ended:
			return
		}
		t.Reset(w.period)
		quiet := w.tick(ctx, t)
		t.Stop()
		if !quiet {
			return
		}
	}
}

// tick watches the requests served by the turn holder until quietTicks
// ticks pass without a new one (true, and on is false) or reading ends
// (false).
func (w *watch) tick(ctx context.Context, t *time.Ticker) bool {
	last := w.state.Load()
	quiet := 0
	for {
		select {
		case <-t.C:
		case <-w.c.ended:
			return false
		}
		v := w.state.Load()
		switch {
		case v != last:
			last, quiet = v, 0
		case v&1 == 1 && v != handedOff:
			// The same request since the last tick: the turn goes on
			// without it, unless it has just ended.
			if w.state.CompareAndSwap(v, handedOff) {
				if err := w.c.handOn(ctx); err != nil {
					w.c.endReading(err)
					return false
				}
			}
		default:
			if quiet++; quiet < quietTicks {
				continue
			}
			w.on.Store(false)
			if w.state.Load() == v {
				return true
			}
			w.on.Store(true) // a request came meanwhile: it is watched
			quiet = 0
		}
	}
}
