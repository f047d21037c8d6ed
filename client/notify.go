package client

import (
	"sync"

	"github.com/linux-gcs/gcs/internal/prot"
)

// notificationQueue is an unbounded FIFO between the reader goroutine,
// which must never block, and the consumer of Client.Notifications.
type notificationQueue struct {
	mu    sync.Mutex
	items []*prot.ContainerNotification
	wake  chan struct{} // 1-slot: "items may be non-empty"
	out   chan *prot.ContainerNotification
}

// newNotificationQueue returns an empty queue.
func newNotificationQueue() *notificationQueue {
	return &notificationQueue{
		wake: make(chan struct{}, 1),
		out:  make(chan *prot.ContainerNotification),
	}
}

// push appends n without blocking.
func (q *notificationQueue) push(n *prot.ContainerNotification) {
	q.mu.Lock()
	q.items = append(q.items, n)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop removes and returns the oldest item, or nil when the queue is empty.
func (q *notificationQueue) pop() *prot.ContainerNotification {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return nil
	}
	n := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	if len(q.items) == 0 {
		q.items = nil // let the backing array go
	}
	return n
}

// run feeds out until no more items can arrive (producerDone) and the queue
// is drained, or until closed; then it closes out.
func (q *notificationQueue) run(producerDone, closed <-chan struct{}) {
	defer close(q.out)
	for {
		n := q.pop()
		if n == nil {
			select {
			case <-q.wake:
				continue
			case <-producerDone:
				if n = q.pop(); n == nil {
					return
				}
			case <-closed:
				return
			}
		}
		select {
		case q.out <- n:
		case <-closed:
			return
		}
	}
}
