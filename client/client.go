package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/linux-gcs/gcs/internal/prot"
)

// Client is one bridge connection to a GCS, seen from the host. It is safe
// for concurrent use by multiple goroutines.
type Client struct {
	connMu  sync.Mutex
	conn    io.ReadWriteCloser // swapped by Resume
	maxSize uint32
	// strayReply, if set, drops responses matching no pending request
	// (WithStrayReplies).
	strayReply func(prot.MessageHeader)

	// migrating tolerates the connection dropping (SetMigrating); the
	// reader then waits for Resume to install the next connection.
	migrating atomic.Bool
	resumed   chan struct{}

	nextID atomic.Uint64
	// wsem is the single-writer lock: a token in a 1-slot channel, so that
	// waiting for it can be abandoned when a context ends.
	wsem chan struct{}

	mu      sync.Mutex
	pending map[prot.SequenceID]*pendingCall
	err     error // why the client ended; nil while it runs

	done       chan struct{} // closed when err is set
	closed     chan struct{} // closed by Close
	closeOnce  sync.Once
	readerDone chan struct{} // closed when the reader goroutine returns
	notes      *notificationQueue
}

// pendingCall is a request waiting for its response. ch has room for the
// one response, so the reader never blocks on it, even when the caller has
// gone away (its context ended).
type pendingCall struct {
	ch chan reply
	// want is the response type the request expects.
	want prot.MessageIdentifier
}

// reply is a response as read from the connection.
type reply struct {
	header prot.MessageHeader
	body   []byte
}

// New returns a Client speaking the bridge protocol over conn and starts
// the goroutine that reads from it. The Client owns conn: Close closes it.
func New(conn io.ReadWriteCloser, opts ...Option) *Client {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{
		conn:       conn,
		maxSize:    o.maxMessageSize,
		strayReply: o.strayReply,
		wsem:       make(chan struct{}, 1),
		pending:    make(map[prot.SequenceID]*pendingCall),
		done:       make(chan struct{}),
		closed:     make(chan struct{}),
		readerDone: make(chan struct{}),
		notes:      newNotificationQueue(),
		resumed:    make(chan struct{}, 1),
	}
	if c.strayReply != nil {
		// Number from a random point, so that answers a GCS holds for an
		// earlier connection rarely share an ID with this one's requests.
		c.nextID.Store(1 + rand.Uint64N(1<<62))
	}
	go c.readLoop()
	go c.notes.run(c.readerDone, c.closed)
	return c
}

// Close closes the connection. Pending and later calls fail with an error
// wrapping ErrClosed, notifications not yet received are discarded and the
// Notifications channel is closed. Close is safe to call more than once;
// only the first call closes the connection and reports its error.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		if !c.setErr(ErrClosed) {
			return // already failed, which closed the connection
		}
		err = c.transport().Close()
	})
	return err
}

// transport returns the current connection.
func (c *Client) transport() io.ReadWriteCloser {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	return c.conn
}

// Done returns a channel that is closed when the client has ended, either
// by Close or because the connection failed or the GCS broke the protocol.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns nil while the client runs and afterwards the reason it ended:
// ErrClosed after Close, otherwise the connection or protocol error.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Notifications returns the channel of container notifications sent by the
// GCS, in the order they arrived. They are queued without bound, so a slow
// reader never holds up responses. Notifications that arrived before the
// connection failed are still delivered; then the channel is closed. After
// Close the channel is closed without delivering the rest.
func (c *Client) Notifications() <-chan *prot.ContainerNotification { return c.notes.out }

// setErr records why the client ended and closes Done. It reports whether
// err was the first such reason.
func (c *Client) setErr(err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return false
	}
	c.err = err
	close(c.done)
	return true
}

// fail ends the client because of err and closes the connection.
func (c *Client) fail(err error) {
	if c.setErr(err) {
		_ = c.transport().Close()
	}
}

// readLoop reads every message from the GCS until the client ends.
func (c *Client) readLoop() {
	defer close(c.readerDone)
	conn := c.transport()
	for {
		h, body, err := prot.ReadMessage(conn, c.maxSize)
		if err != nil && c.migrating.Load() {
			// The connection dropped during a migration window: read the
			// next one (Resume may already have installed it); calls in
			// flight keep waiting.
			if next := c.transport(); next != conn {
				conn = next
				continue
			}
			select {
			case <-c.resumed:
				conn = c.transport()
				continue
			case <-c.closed:
				return
			}
		}
		if err != nil {
			c.fail(readError(err))
			return
		}
		if err := c.dispatch(h, body); err != nil {
			c.fail(err)
			return
		}
	}
}

// readError describes a failure to read the next message.
func readError(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("gcs: bridge connection closed by the GCS: %w", err)
	}
	return fmt.Errorf("gcs: read message: %w", err)
}

// dispatch hands one message to its pending call or to the notification
// queue. A non-nil error is a protocol violation that ends the client.
func (c *Client) dispatch(h prot.MessageHeader, body []byte) error {
	switch h.Type.Type() {
	case prot.MtResponse:
		c.mu.Lock()
		pc, ok := c.pending[h.ID]
		if ok && c.strayReply != nil && h.Type != pc.want {
			// Another request's answer under a live ID: a held reply to
			// an earlier connection, not this call's.
			ok = false
		} else {
			delete(c.pending, h.ID)
		}
		c.mu.Unlock()
		if !ok && c.strayReply != nil {
			c.strayReply(h)
			return nil
		}
		if !ok {
			return &ProtocolError{Header: h, Reason: fmt.Sprintf("response id %d matches no pending request", h.ID)}
		}
		pc.ch <- reply{header: h, body: body}
		return nil
	case prot.MtNotification:
		if h.Type != prot.ComputeSystemNotificationV1 {
			return &ProtocolError{Header: h, Reason: "unknown notification type"}
		}
		if h.ID != 0 {
			return &ProtocolError{Header: h, Reason: "notification with a non-zero id"}
		}
		n := new(prot.ContainerNotification)
		if err := json.Unmarshal(body, n); err != nil {
			return &ProtocolError{Header: h, Reason: "undecodable notification body", Err: err}
		}
		c.notes.push(n)
		return nil
	}
	return &ProtocolError{Header: h, Reason: "message is neither a response nor a notification"}
}
