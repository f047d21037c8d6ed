package cgroup

import (
	"context"
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
	done  chan struct{} // closed once err is set
	err   error
	limit time.Duration // how long a wait lasts at most; zero is ReadyTimeout
}

// finish records the outcome of the set-up and releases the waiters.
func (r *ready) finish(err error) {
	r.err = err
	close(r.done)
}

// wait waits, until ctx ends and at most r.limit, for the set-up to end
// and returns its error, or ctx's.
func (r *ready) wait(ctx context.Context) error {
	select {
	case <-r.done:
		return r.err
	default:
	}
	limit := r.limit
	if limit <= 0 {
		limit = ReadyTimeout
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return fmt.Errorf("wait for the daemon's move into its gcs cgroup: %w", ctx.Err())
	case <-t.C:
		return fmt.Errorf("the daemon's move into its gcs cgroup has not ended after %s", limit)
	}
}

// Ready waits, at most ReadyTimeout, until the daemon's move into gcs,
// which New leaves to the background (see Options.MoveSelf), has ended
// and returns its error: the error every method that depends on it
// returns too. Without a move to wait for it returns nil at once.
func (m *Manager) Ready() error {
	return m.waitReady(context.Background())
}

// waitReady is Ready that also gives up when ctx ends.
func (m *Manager) waitReady(ctx context.Context) error {
	if err := m.ready.wait(ctx); err != nil {
		return fmt.Errorf("daemon not in its gcs cgroup under %s: %w", m.parent, err)
	}
	return nil
}
