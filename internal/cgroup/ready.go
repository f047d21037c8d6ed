package cgroup

import (
	"fmt"
	"time"
)

// ReadyTimeout bounds how long a method that needs the daemon in its gcs
// cgroup waits for New's background move there (see Options.MoveSelf).
// The move takes an RCU grace period, some 10-30 ms; seconds mean the
// kernel is in trouble, and the request fails rather than hang.
const ReadyTimeout = 10 * time.Second

// ready is the daemon's move into gcs, which New leaves to the
// background.
type ready struct {
	done chan struct{} // closed once err is set
	err  error
}

// finish records the outcome of the set-up and releases the waiters.
func (r *ready) finish(err error) {
	r.err = err
	close(r.done)
}

// wait waits, at most ReadyTimeout, for the set-up to end and returns its
// error.
func (r *ready) wait() error {
	select {
	case <-r.done:
		return r.err
	default:
	}
	t := time.NewTimer(ReadyTimeout)
	defer t.Stop()
	select {
	case <-r.done:
		return r.err
	case <-t.C:
		return fmt.Errorf("the daemon's move into its gcs cgroup has not ended after %s", ReadyTimeout)
	}
}

// Ready waits, at most ReadyTimeout, until the daemon's move into gcs,
// which New leaves to the background (see Options.MoveSelf), has ended
// and returns its error: the error every method that depends on it
// returns too. Without a move to wait for it returns nil at once.
func (m *Manager) Ready() error {
	if err := m.ready.wait(); err != nil {
		return fmt.Errorf("daemon not in its gcs cgroup under %s: %w", m.parent, err)
	}
	return nil
}
