package bridge

import (
	"context"
	"sync"
)

// byteBudget bounds the bytes of request bodies held at once. The reader
// takes a body's size from it before reading the body, and waits while the
// budget is spent, which stops reading from the host (backpressure); the
// bytes come back when the handler is done with the body. A single request
// is admitted when nothing else is held, so a body larger than the budget
// is never refused, only made to wait for the others.
type byteBudget struct {
	mu    sync.Mutex
	used  int
	limit int
	freed chan struct{} // closed on the next release; nil when nobody waits
}

func newByteBudget(limit int) *byteBudget { return &byteBudget{limit: limit} }

// acquire takes n bytes, waiting until they fit or ctx ends.
func (b *byteBudget) acquire(ctx context.Context, n int) error {
	for {
		b.mu.Lock()
		if b.used == 0 || b.used+n <= b.limit {
			b.used += n
			b.mu.Unlock()
			return nil
		}
		if b.freed == nil {
			b.freed = make(chan struct{})
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release returns n bytes.
func (b *byteBudget) release(n int) {
	b.mu.Lock()
	b.used -= n
	if b.freed != nil {
		close(b.freed)
		b.freed = nil
	}
	b.mu.Unlock()
}

// inUse reports the bytes held.
func (b *byteBudget) inUse() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
