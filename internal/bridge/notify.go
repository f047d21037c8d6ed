package bridge

import (
	"errors"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/prot"
)

// DefaultMaxQueuedReplyBytes bounds the replies held for the next
// connection (those whose own connection was gone when they were ready).
const DefaultMaxQueuedReplyBytes = 4 << 20

// outMsg is one message waiting for a connection.
type outMsg struct {
	typ   prot.MessageIdentifier
	id    prot.SequenceID
	body  []byte
	reply bool
}

// outbox holds what the host must still receive on whichever connection
// comes next: every notification, and the replies whose connection was gone
// when they were ready. A message leaves only once its write succeeded (or
// was refused for a size no connection takes), so one produced while
// disconnected, or whose write failed with the connection, is sent on the
// next connection. Order is kept, so a notification queued after a reply
// is written after it.
//
// Notifications are never dropped (there is at most one per container).
// Replies are bounded in bytes; one beyond the bound is refused.
type outbox struct {
	mu         sync.Mutex
	pending    []outMsg
	replyBytes int
	maxReplies int
	wake       chan struct{}
}

func newOutbox(maxReplyBytes int) *outbox {
	return &outbox{wake: make(chan struct{}, 1), maxReplies: maxReplyBytes}
}

// push queues m; it reports false, queuing nothing, for a reply that would
// take the queued replies beyond their bound.
func (q *outbox) push(m outMsg) bool {
	q.mu.Lock()
	if m.reply {
		if q.replyBytes+len(m.body) > q.maxReplies {
			q.mu.Unlock()
			return false
		}
		q.replyBytes += len(m.body)
	}
	q.pending = append(q.pending, m)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// peek returns the oldest message without removing it.
func (q *outbox) peek() (outMsg, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return outMsg{}, false
	}
	return q.pending[0], true
}

// pop removes the oldest message after it was written.
func (q *outbox) pop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending[0].reply {
		q.replyBytes -= len(q.pending[0].body)
	}
	q.pending[0] = outMsg{}
	q.pending = q.pending[1:]
	if len(q.pending) == 0 {
		q.pending = nil
	}
}

// count reports how many messages of the given kind wait to be sent.
func (q *outbox) count(replies bool) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, m := range q.pending {
		if m.reply == replies {
			n++
		}
	}
	return n
}

// drain writes queued messages through w until the queue is empty, then
// waits for more, until done is closed or the connection fails. A message
// too large for any connection is dropped, with an error logged to log,
// so that it cannot hold back what is queued behind it.
func (q *outbox) drain(w *msgWriter, done <-chan struct{}, log *logrus.Entry) {
	for {
		for {
			m, ok := q.peek()
			if !ok {
				break
			}
			if err := w.write(m.typ, m.id, m.body); err != nil {
				if !errors.Is(err, errTooLarge) {
					return
				}
				log.WithFields(logrus.Fields{"type": m.typ, "id": m.id, "bytes": len(m.body)}).WithError(err).
					Error("bridge: queued message dropped")
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
