package stdio

import "sync/atomic"

// copies closes a relay's copiesDone when the last of its copies ends. The
// last copy closes it itself: no goroutine per relay waits for the others.
type copies struct {
	running atomic.Int32
	done    chan struct{}
}

// start records that n copies are about to start, before any of them runs;
// with none, done is closed at once.
func (c *copies) start(n int) {
	if n == 0 {
		close(c.done)
		return
	}
	c.running.Store(int32(n))
}

// end is called once by each copy as it ends.
func (c *copies) end() {
	if c.running.Add(-1) == 0 {
		close(c.done)
	}
}
