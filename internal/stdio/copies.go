package stdio

import (
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// abortGrace is how long a relay torn down without draining waits for its
// copies to notice that their files and connections are closed. Closing
// ends every copy at once unless a connection's Close does not interrupt
// its writes; such a copy is left behind rather than holding the caller.
const abortGrace = time.Second

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

// waitAborted waits, after everything the copies use was closed, for them
// to end, but at most abortGrace; a copy still running then is logged and
// left to end on its own.
func (c *copies) waitAborted(log *logrus.Entry) {
	t := time.NewTimer(abortGrace)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		log.WithFields(logrus.Fields{"copies": c.running.Load(), "grace": abortGrace}).
			Warn("stdio copy still blocked after the relay was closed; not waiting for it")
	}
}
