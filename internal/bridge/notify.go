package bridge

import (
	"sync"

	"github.com/linux-gcs/gcs/internal/prot"
)

// notifyQueue holds notifications until a connection has written them. A
// notification leaves the queue only once its write succeeded, so one
// produced while disconnected, or whose write failed with the connection,
// is sent on the next connection. Order is kept.
type notifyQueue struct {
	mu      sync.Mutex
	pending [][]byte
	wake    chan struct{}
}

func newNotifyQueue() *notifyQueue {
	return &notifyQueue{wake: make(chan struct{}, 1)}
}

func (q *notifyQueue) push(body []byte) {
	q.mu.Lock()
	q.pending = append(q.pending, body)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// peek returns the oldest notification without removing it.
func (q *notifyQueue) peek() ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return nil, false
	}
	return q.pending[0], true
}

// pop removes the oldest notification after it was written.
func (q *notifyQueue) pop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending[0] = nil
	q.pending = q.pending[1:]
	if len(q.pending) == 0 {
		q.pending = nil
	}
}

// len reports how many notifications wait to be sent.
func (q *notifyQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// drain writes queued notifications through w until the queue is empty,
// then waits for more, until done is closed or a write fails.
func (q *notifyQueue) drain(w *msgWriter, done <-chan struct{}) {
	for {
		for {
			body, ok := q.peek()
			if !ok {
				break
			}
			if err := w.write(prot.ComputeSystemNotificationV1, 0, body); err != nil {
				return
			}
			q.pop()
		}
		select {
		case <-q.wake:
		case <-done:
			return
		}
	}
}
