package bridge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/prot"
)

// DefaultMaxMessageSize is the default bound on an inbound message, header
// included.
const DefaultMaxMessageSize = 4 << 20

// Default bounds: requests being handled at once (the reader waits for a
// free slot), WaitForProcess requests outstanding at once (beyond it a wait
// is refused, since waits may never finish; each parked wait costs the
// daemon about 10 KiB, mostly its goroutine: 16,000 of them took 160-186
// MiB of RSS, so 4096 bound what a host's cheap waits can take to some 40
// MiB, far above one per process of a busy utility VM), and bytes of
// request bodies held at once (the reader waits for them to be released).
const (
	DefaultMaxInFlight      = 512
	DefaultMaxWaits         = 4096
	DefaultMaxInFlightBytes = 8 << 20
)

// DefaultHandOffAfter is the default of Options.HandOffAfter.
const DefaultHandOffAfter = time.Millisecond

// ErrServing is returned by ServeConn while another connection is served.
var ErrServing = errors.New("bridge: already serving a connection")

// Options configure a Server.
type Options struct {
	// Handler serves requests; usually a *Mux.
	Handler Handler
	// Sequential handles requests one at a time in arrival order, except
	// WaitForProcess which always runs on its own.
	Sequential bool
	// MaxMessageSize bounds inbound messages; 0 means DefaultMaxMessageSize.
	MaxMessageSize uint32
	// MaxInFlight and MaxWaits bound concurrency; 0 means the defaults.
	MaxInFlight int
	MaxWaits    int
	// HandOffAfter is how long a request may be served by the goroutine
	// that read it, holding up the reading of the requests behind it,
	// before reading passes to another goroutine: two HandOffAfter at
	// most. 0 means DefaultHandOffAfter; a negative value passes reading
	// on before every request, which wakes another thread for each one.
	// Unused when Sequential.
	HandOffAfter time.Duration
	// MaxInFlightBytes bounds the request bodies held at once, and
	// MaxQueuedReplyBytes the replies held for the next connection; 0 means
	// the defaults.
	MaxInFlightBytes    int
	MaxQueuedReplyBytes int
	// Log receives the server's logs; nil means the standard logger.
	Log *logrus.Entry
}

// Server serves the bridge protocol on one connection at a time. Handlers
// and notifications outlive connections: a handler still running when its
// connection ends goes on, and its reply is sent on the next connection
// under its original ID, as hcsshim's host expects after it re-adopts its
// outstanding requests on a new connection (live migration).
type Server struct {
	opts    Options
	log     *logrus.Entry
	out     *outbox
	budget  *byteBudget
	slots   chan struct{} // one per worker alive, on any connection
	waits   chan struct{} // one per WaitForProcess outstanding
	mu      sync.Mutex
	serving bool
	w       *msgWriter // the current connection's writer; nil between connections
	wg      sync.WaitGroup
}

// NewServer returns a Server configured by opts.
func NewServer(opts Options) *Server {
	if opts.Handler == nil {
		opts.Handler = NewMux()
	}
	if opts.MaxMessageSize == 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.HandOffAfter == 0 {
		opts.HandOffAfter = DefaultHandOffAfter
	}
	if opts.MaxWaits <= 0 {
		opts.MaxWaits = DefaultMaxWaits
	}
	if opts.MaxInFlightBytes <= 0 {
		opts.MaxInFlightBytes = DefaultMaxInFlightBytes
	}
	if opts.MaxQueuedReplyBytes <= 0 {
		opts.MaxQueuedReplyBytes = DefaultMaxQueuedReplyBytes
	}
	log := opts.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Server{
		opts:   opts,
		log:    log,
		out:    newOutbox(opts.MaxQueuedReplyBytes),
		budget: newByteBudget(opts.MaxInFlightBytes),
		slots:  make(chan struct{}, opts.MaxInFlight),
		waits:  make(chan struct{}, opts.MaxWaits),
	}
}

// Notify queues n for the host. It is sent on the current connection after
// everything already written to it, or on the next connection if there is
// none; notifications are never dropped or reordered.
func (s *Server) Notify(n *prot.ContainerNotification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode notification for %s: %w", n.ContainerID, err)
	}
	if len(body)+prot.MessageHeaderSize > prot.MaxOutboundMessageSize {
		return fmt.Errorf("notification for %q of %d bytes exceeds the bridge message limit", n.ContainerID, len(body))
	}
	s.out.push(outMsg{typ: prot.ComputeSystemNotificationV1, body: body})
	return nil
}

// PendingNotifications reports how many notifications wait for a host.
func (s *Server) PendingNotifications() int { return s.out.count(false) }

// PendingReplies reports how many replies wait for the next connection.
func (s *Server) PendingReplies() int { return s.out.count(true) }

// deliver sends a reply on the current connection or, when there is none or
// the write fails with it, queues it for the next one. Either way, when it
// returns, anything queued afterwards (a notification) reaches the host
// after the reply. A reply too large for any connection is dropped: held,
// it would only be refused again.
func (s *Server) deliver(typ prot.MessageIdentifier, id prot.SequenceID, body []byte) {
	s.mu.Lock()
	w := s.w
	s.mu.Unlock()
	if w != nil {
		err := w.write(typ, id, body)
		if err == nil {
			return
		}
		if errors.Is(err, errTooLarge) {
			s.log.WithFields(logrus.Fields{"type": typ, "id": id, "bytes": len(body)}).WithError(err).
				Error("bridge: reply dropped")
			return
		}
	}
	s.hold(typ, id, body)
}

// deliverResponse is deliver for a reply not yet encoded: on the current
// connection it is encoded only once the writer has room for it.
func (s *Server) deliverResponse(typ prot.MessageIdentifier, id prot.SequenceID, resp prot.Response) {
	s.mu.Lock()
	w := s.w
	s.mu.Unlock()
	if w != nil && w.writeResponse(typ, id, resp) == nil {
		return
	}
	s.hold(typ, id, encodeResponse(resp))
}

// hold queues a reply for the next connection.
func (s *Server) hold(typ prot.MessageIdentifier, id prot.SequenceID, body []byte) {
	if !s.out.push(outMsg{typ: typ, id: id, body: body, reply: true}) {
		s.log.WithFields(logrus.Fields{"type": typ, "id": id, "bytes": len(body)}).
			Error("bridge: reply dropped: the replies held for the next connection are at their bound")
	}
}

// Wait blocks until every handler started by any connection has returned.
func (s *Server) Wait() { s.wg.Wait() }

// ServeConn serves conn until it fails, the peer closes it or ctx ends, and
// returns why: io.EOF for a clean close by the peer, a *prot.FramingError for
// a malformed header, ctx.Err() on cancellation. Each connection starts
// un-negotiated and first receives what the outbox holds. conn is closed on
// return.
//
// Handlers run under ctx, not under the connection: one still running when
// the connection ends goes on until it is done or ctx ends, and its reply
// goes to the next connection with its original ID.
func (s *Server) ServeConn(ctx context.Context, conn io.ReadWriteCloser) error {
	s.mu.Lock()
	if s.serving {
		s.mu.Unlock()
		return ErrServing
	}
	s.serving = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.serving = false
		s.mu.Unlock()
	}()

	handlerCtx := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &serverConn{
		srv:     s,
		conn:    conn,
		r:       bufio.NewReaderSize(conn, readBufferSize),
		w:       newMsgWriter(conn, conn),
		turn:    make(chan struct{}),
		ended:   make(chan struct{}),
		readErr: make(chan error, 1),
		log:     s.log,
		hctx:    handlerCtx,
	}
	s.mu.Lock()
	s.w = c.w
	s.mu.Unlock()
	done := make(chan struct{})
	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		s.out.drain(c.w, done, s.log)
	}()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	if s.opts.HandOffAfter > 0 && !s.opts.Sequential {
		c.watch = newWatch(c, s.opts.HandOffAfter)
		s.wg.Add(1)
		go c.watch.run(ctx)
	}
	s.wg.Add(1)
	go c.work(ctx, false)
	err := <-c.readErr
	s.mu.Lock()
	s.w = nil // replies from now on wait for the next connection
	s.mu.Unlock()
	close(done)
	conn.Close()
	<-outDone
	if ctx.Err() != nil && !errors.Is(err, io.EOF) {
		err = ctx.Err()
	}
	return err
}

// Serving reports whether a connection is being served.
func (s *Server) Serving() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serving
}
