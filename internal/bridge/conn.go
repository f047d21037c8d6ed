package bridge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/linux-gcs/gcs/internal/prot"
)

// serverConn is the state of one connection.
type serverConn struct {
	srv     *Server
	conn    io.ReadWriteCloser
	w       *msgWriter
	jobs    chan job // to idle workers; closed when the reader ends
	log     *logrus.Entry
	hctx    context.Context      // handlers' context: the server's, not the connection's
	version prot.ProtocolVersion // touched only by the reader goroutine
}

// maxWaitIDBytes bounds the ContainerId and ActivityId a WaitForProcess
// keeps while it waits (real ones are a few dozen bytes).
const maxWaitIDBytes = 1024

// readBufferSize is the reader's buffer: with many requests in flight one
// read system call then brings in many of them.
const readBufferSize = 64 << 10

// readLoop is the connection's only reader. Before reading a body it takes
// the body's size from the server's byte budget, waiting while bodies
// already held use it up.
func (c *serverConn) readLoop(ctx context.Context) error {
	r := bufio.NewReaderSize(c.conn, readBufferSize)
	for {
		held, err := c.reserve(ctx, r)
		if err != nil {
			return err
		}
		hdr, body, err := prot.ReadMessage(r, c.srv.opts.MaxMessageSize)
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
			return err
		}
		req := &Request{Header: hdr, Body: body, Version: c.version, budget: c.srv.budget, held: held}
		var base prot.MessageBase
		if json.Unmarshal(body, &base) == nil {
			req.ContainerID, req.ActivityID = base.ContainerID, base.ActivityID
		}
		c.dispatch(ctx, req)
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

// dispatch runs the handler of req inline or on its own goroutine.
//
// Before negotiation everything runs inline, so a request that follows a
// NegotiateProtocol sees its result. WaitForProcess always runs on its own
// because it blocks until a process exits. Otherwise requests run
// concurrently (bounded by MaxInFlight) unless the server is sequential.
func (c *serverConn) dispatch(ctx context.Context, req *Request) {
	h := c.srv.opts.Handler
	rw := &responseWriter{c: c, req: req}
	switch {
	case c.version == prot.PvInvalid:
		c.serve(h, rw, req)
		if rw.negotiated != prot.PvInvalid {
			c.version = rw.negotiated
		}
	case req.Header.Type == prot.ComputeSystemWaitForProcessV1:
		if len(req.ContainerID)+len(req.ActivityID) > maxWaitIDBytes {
			req.Release()
			rw.Error(prot.Errorf(prot.HrFail, "WaitForProcess ContainerId and ActivityId exceed %d bytes", maxWaitIDBytes))
			return
		}
		select {
		case c.srv.waits <- struct{}{}:
		default:
			req.Release()
			rw.Error(prot.Errorf(prot.HrFail, "too many outstanding WaitForProcess requests (%d)", cap(c.srv.waits)))
			return
		}
		c.srv.wg.Add(1)
		go func() {
			defer func() { <-c.srv.waits; c.srv.wg.Done() }()
			c.serve(h, rw, req)
		}()
	case c.srv.opts.Sequential:
		c.serve(h, rw, req)
	default:
		c.toWorker(ctx, job{h: h, rw: rw, req: req})
	}
}

// job is one request for a worker.
type job struct {
	h   Handler
	rw  *responseWriter
	req *Request
}

// toWorker hands j to an idle worker, starts a new one while fewer than
// MaxInFlight exist on all connections, or else waits for either. Workers
// live as long as the connection, so their stacks are grown once, not per
// request; one busy when the connection ends finishes its request first.
func (c *serverConn) toWorker(ctx context.Context, j job) {
	select {
	case c.jobs <- j:
		return
	default:
	}
	select {
	case c.jobs <- j:
	case c.srv.slots <- struct{}{}:
		c.srv.wg.Add(1)
		go c.work(j)
	case <-ctx.Done():
		j.req.Release()
	}
}

func (c *serverConn) work(first job) {
	defer func() { <-c.srv.slots; c.srv.wg.Done() }()
	c.serve(first.h, first.rw, first.req)
	for j := range c.jobs {
		c.serve(j.h, j.rw, j.req)
	}
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
		// A no-op when the handler replied.
		rw.Error(prot.Errorf(prot.HrFail, "handler for %s sent no reply", req.Header.Type))
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
	negotiated prot.ProtocolVersion
}

func (rw *responseWriter) Respond(resp prot.Response) {
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
	rw.once.Do(func() {
		if err == nil {
			err = errors.New("unspecified failure")
		}
		rw.c.log.WithFields(logrus.Fields{
			"type": rw.req.Header.Type, "id": rw.req.Header.ID, "cid": rw.req.ContainerID,
			"hresult": prot.HResultOf(err).Hex(),
		}).WithError(err).Debug("bridge: request failed")
		b, merr := json.Marshal(errorBody(rw.req.ActivityID, err))
		if merr != nil {
			b = []byte(fmt.Sprintf(`{"Result":%d}`, prot.HrFail))
		}
		rw.send(b)
	})
}

func (rw *responseWriter) send(body []byte) {
	rw.c.srv.deliver(prot.ResponseIdentifier(rw.req.Header.Type), rw.req.Header.ID, body)
}
