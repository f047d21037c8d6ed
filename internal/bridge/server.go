package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/prot"
)

// DefaultMaxMessageSize is the default bound on an inbound message, header
// included.
const DefaultMaxMessageSize = 4 << 20

// Default concurrency bounds: requests being handled at once (the reader
// waits for a free slot), and WaitForProcess requests outstanding at once
// (beyond it a wait is refused, since waits may never finish).
const (
	DefaultMaxInFlight = 512
	DefaultMaxWaits    = 16384
)

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
	// Log receives the server's logs; nil means the standard logger.
	Log *logrus.Entry
}

// Server serves the bridge protocol on one connection at a time and keeps
// notifications across connections.
type Server struct {
	opts    Options
	log     *logrus.Entry
	notes   *notifyQueue
	mu      sync.Mutex
	serving bool
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
	if opts.MaxWaits <= 0 {
		opts.MaxWaits = DefaultMaxWaits
	}
	log := opts.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Server{opts: opts, log: log, notes: newNotifyQueue()}
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
	s.notes.push(body)
	return nil
}

// PendingNotifications reports how many notifications wait for a host.
func (s *Server) PendingNotifications() int { return s.notes.len() }

// Wait blocks until every handler started by any connection has returned.
func (s *Server) Wait() { s.wg.Wait() }

// ServeConn serves conn until it fails, the peer closes it or ctx ends, and
// returns why: io.EOF for a clean close by the peer, a *prot.FramingError for
// a malformed header, ctx.Err() on cancellation. Each connection starts
// un-negotiated. conn is closed on return; handlers still running see their
// context cancelled and their replies are discarded.
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

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &serverConn{
		srv:    s,
		conn:   conn,
		w:      newMsgWriter(conn, conn),
		jobs:   make(chan job),
		waits:  make(chan struct{}, s.opts.MaxWaits),
		log:    s.log,
		cancel: cancel,
	}
	done := make(chan struct{})
	notesDone := make(chan struct{})
	go func() {
		defer close(notesDone)
		s.notes.drain(c.w, done)
	}()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	err := c.readLoop(ctx)
	close(c.jobs)
	close(done)
	conn.Close()
	<-notesDone
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
