package bridge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/prot"
)

// serverConn is the state of one connection.
//
// Its requests are read by a pool of goroutines taking turns (leader and
// followers): the one whose turn it is reads; when a request must run
// concurrently it hands the turn to an idle goroutine of the pool (or
// starts one) and serves the request itself. A request is thus served by
// the goroutine that read it, on a warm stack, without waiting for another
// goroutine to be scheduled, while the next one is read meanwhile.
type serverConn struct {
	srv     *Server
	conn    io.ReadWriteCloser
	r       *bufio.Reader // touched only by the goroutine whose turn it is
	w       *msgWriter
	turn    chan struct{} // the reading turn, to an idle goroutine of the pool
	ended   chan struct{} // closed when reading ends: idle goroutines leave
	readErr chan error    // why reading ended (one value)
	log     *logrus.Entry
	hctx    context.Context      // handlers' context: the server's, not the connection's
	version prot.ProtocolVersion // touched only by the goroutine whose turn it is
	watch   *watch               // nil: the turn is passed on before every request
}

// maxIDBytes bounds a request's ContainerId and ActivityId together (real
// ones are a GUID and 64 hex digits). The ActivityId is echoed in the reply
// and a WaitForProcess keeps both while it waits: beyond the bound a reply
// could exceed one bridge message, and waits could hold much memory.
const maxIDBytes = 1024

// readBufferSize is the reader's buffer: with many requests in flight one
// read system call then brings in many of them.
const readBufferSize = 64 << 10

// read returns the next request that must run concurrently, serving the
// others (inline, or WaitForProcess on its own goroutine) on the way, or
// why reading ends. Before reading a body it takes the body's size from
// the server's byte budget, waiting while bodies already held use it up.
func (c *serverConn) read(ctx context.Context) (job, error) {
	for {
		held, err := c.reserve(ctx, c.r)
		if err != nil {
			return job{}, err
		}
		hdr, body, err := prot.ReadMessage(c.r, c.srv.opts.MaxMessageSize)
		if err != nil {
			c.srv.budget.release(held)
			var fe *prot.FramingError
			if errors.As(err, &fe) {
				c.log.WithFields(logrus.Fields{"type": fe.Header.Type, "size": fe.Header.Size, "id": fe.Header.ID}).
					WithError(err).Error("bridge: dropping connection")
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				c.log.WithError(err).Warn("bridge: connection closed mid-message")
			}
			return job{}, err
		}
		req := &Request{Header: hdr, Body: body, Version: c.version, budget: c.srv.budget, held: held}
		if req.base, req.baseOK = decodeBase(body); req.baseOK {
			req.ContainerID, req.ActivityID = req.base.ContainerID, req.base.ActivityID
		}
		if j, ok := c.dispatch(req); ok {
			return j, nil
		}
	}
}

// reserve takes from the budget the size of the body that comes next, as
// its header announces; nothing for a size the framing check will refuse.
func (c *serverConn) reserve(ctx context.Context, r *bufio.Reader) (int, error) {
	hb, err := r.Peek(prot.MessageHeaderSize)
	if err != nil {
		if len(hb) == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
			c.log.WithError(err).Warn("bridge: connection closed mid-message")
		}
		return 0, err
	}
	h, _ := prot.DecodeHeader(hb)
	if h.Size < prot.MessageHeaderSize || h.Size > c.srv.opts.MaxMessageSize {
		return 0, nil
	}
	n := int(h.Size) - prot.MessageHeaderSize
	if err := c.srv.budget.acquire(ctx, n); err != nil {
		return 0, err
	}
	return n, nil
}

// dispatch serves req inline or on its own goroutine, or returns it as a
// job to be served concurrently.
//
// A request whose ids exceed maxIDBytes is refused with E_INVALIDARG
// before anything else, in every state, as an id the GCS cannot use (see
// WIRE.md 6.1), without its ActivityId echoed.
//
// Before negotiation everything runs inline, so a request that follows a
// NegotiateProtocol sees its result. WaitForProcess always runs on its own
// because it blocks until a process exits. Otherwise requests run
// concurrently (bounded by MaxInFlight) unless the server is sequential.
func (c *serverConn) dispatch(req *Request) (job, bool) {
	h := c.srv.opts.Handler
	rw := &responseWriter{c: c, req: req}
	switch {
	case len(req.ContainerID)+len(req.ActivityID) > maxIDBytes:
		n := len(req.ContainerID) + len(req.ActivityID)
		req.ContainerID, req.ActivityID = "", "" // neither echoed nor logged
		req.Release()
		rw.Error(prot.Errorf(prot.HrInvalidArg, "%s ContainerId and ActivityId of %d bytes exceed %d", req.Header.Type, n, maxIDBytes))
	case c.version == prot.PvInvalid:
		c.serve(h, rw, req)
		if rw.negotiated != prot.PvInvalid {
			c.version = rw.negotiated
		}
	case req.Header.Type == prot.ComputeSystemWaitForProcessV1:
		select {
		case c.srv.waits <- struct{}{}:
		default:
			req.Release()
			rw.Error(prot.Errorf(prot.HrFail, "too many outstanding WaitForProcess requests (%d)", cap(c.srv.waits)))
			return job{}, false
		}
		c.srv.wg.Add(1)
		go func() {
			defer func() { <-c.srv.waits; c.srv.wg.Done() }()
			c.serve(h, rw, req)
		}()
	case c.srv.opts.Sequential:
		c.serve(h, rw, req)
	default:
		return job{h: h, rw: rw, req: req}, true
	}
	return job{}, false
}

// job is one request to serve concurrently.
type job struct {
	h   Handler
	rw  *responseWriter
	req *Request
}

// work is a goroutine of the connection's pool, started with the reading
// turn: it reads until a request must run concurrently and serves it,
// keeping the turn while the connection's watch lets it (see watch), so
// that quick requests are served one after another by one goroutine, as a
// single-threaded server would, without waking another. Otherwise, or once
// the watch has passed the turn on, it waits for its turn again after the
// request. Every goroutine but the connection's first holds one of the
// server's MaxInFlight slots for its life, so at most MaxInFlight requests
// are served at once while one goroutine reads. Goroutines live as long as
// the connection, so their stacks are grown once, not per request; one busy
// when the connection ends finishes its request first.
func (c *serverConn) work(ctx context.Context, slot bool) {
	defer func() {
		if slot {
			<-c.srv.slots
		}
		c.srv.wg.Done()
	}()
	for {
		j, err := c.read(ctx)
		if err != nil {
			c.endReading(err)
			return
		}
		if mark, ok := c.watch.hold(); ok {
			c.serve(j.h, j.rw, j.req)
			if c.watch.release(mark) {
				continue // served in time: the turn never left
			}
		} else {
			if err := c.handOn(ctx); err != nil {
				j.req.Release()
				c.endReading(err)
				return
			}
			c.serve(j.h, j.rw, j.req)
		}
		select {
		case <-c.turn:
		case <-c.ended:
			return
		}
	}
}

// endReading ends the connection's reading with err; called once, by the
// goroutine holding the turn.
func (c *serverConn) endReading(err error) {
	c.readErr <- err
	close(c.ended)
}

// handOn gives the reading turn to an idle goroutine of the pool, starts a
// new one while fewer than MaxInFlight exist on all connections, or else
// waits for either, which stops reading meanwhile.
func (c *serverConn) handOn(ctx context.Context) error {
	select {
	case c.turn <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.turn <- struct{}{}:
	case c.srv.slots <- struct{}{}:
		c.srv.wg.Add(1)
		go c.work(ctx, true)
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// serve calls the handler, turns a panic into an error reply so one bad
// request cannot take the daemon down, and makes sure exactly one reply is
// sent.
func (c *serverConn) serve(h Handler, rw *responseWriter, req *Request) {
	defer req.Release()
	defer func() {
		if p := recover(); p != nil {
			c.log.WithFields(logrus.Fields{"type": req.Header.Type, "id": req.Header.ID, "panic": p}).
				Error("bridge: handler panicked")
			rw.Error(prot.Errorf(prot.HrFail, "internal error handling %s: %v", req.Header.Type, p))
		}
		if !rw.replied.Load() {
			rw.Error(prot.Errorf(prot.HrFail, "handler for %s sent no reply", req.Header.Type))
		}
	}()
	if c.log.Logger.IsLevelEnabled(logrus.TraceLevel) {
		c.log.WithFields(logrus.Fields{"type": req.Header.Type, "id": req.Header.ID, "cid": req.ContainerID}).Trace("bridge: request")
		defer c.log.WithFields(logrus.Fields{"type": req.Header.Type, "id": req.Header.ID}).Trace("bridge: handled")
	}
	h.ServeMsg(c.hctx, rw, req)
}

// responseWriter is the ResponseWriter of one request.
type responseWriter struct {
	c          *serverConn
	req        *Request
	once       sync.Once
	replied    atomic.Bool // set once Respond or Error was called
	negotiated prot.ProtocolVersion
}

func (rw *responseWriter) Respond(resp prot.Response) {
	rw.replied.Store(true)
	rw.once.Do(func() {
		base := resp.Base()
		base.Result = 0
		base.ActivityID = rw.req.ActivityID
		if n, ok := resp.(*prot.NegotiateProtocolResponse); ok &&
			rw.req.Header.Type == prot.ComputeSystemNegotiateProtocolV1 {
			rw.negotiated = prot.ProtocolVersion(n.Version)
		}
		rw.c.srv.deliverResponse(prot.ResponseIdentifier(rw.req.Header.Type), rw.req.Header.ID, resp)
	})
}

func (rw *responseWriter) Error(err error) {
	rw.replied.Store(true)
	rw.once.Do(func() {
		if err == nil {
			err = errors.New("unspecified failure")
		}
		body := errorBody(rw.req.ActivityID, err)
		// The text the reply carries, bounded, not err's: it may quote
		// the request, as long as a message.
		rw.c.log.WithFields(logrus.Fields{
			"type": rw.req.Header.Type, "id": rw.req.Header.ID, "cid": rw.req.ContainerID,
			"hresult": prot.HResultOf(err).Hex(), logrus.ErrorKey: body.ErrorMessage,
		}).Debug("bridge: request failed")
		b, merr := json.Marshal(body)
		if merr != nil {
			b = []byte(fmt.Sprintf(`{"Result":%d}`, prot.HrFail))
		}
		rw.send(b)
	})
}

func (rw *responseWriter) send(body []byte) {
	rw.c.srv.deliver(prot.ResponseIdentifier(rw.req.Header.Type), rw.req.Header.ID, body)
}
