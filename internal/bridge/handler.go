package bridge

import (
	"context"
	"sync"

	"github.com/linux-gcs/gcs/internal/prot"
)

// Request is one message received from the host.
type Request struct {
	// Header is the message header as received.
	Header prot.MessageHeader
	// Body is the JSON payload. Handlers must not keep it past ServeMsg or
	// Release.
	Body []byte
	// Version is the protocol version the connection had negotiated when the
	// request arrived (prot.PvInvalid before negotiation).
	Version prot.ProtocolVersion
	// ContainerID and ActivityID come from the body's base, decoded leniently
	// before dispatch; both are empty when the body is not a JSON object.
	ContainerID string
	ActivityID  string

	base   prot.MessageBase // Body decoded as a bare base, when baseOK
	baseOK bool

	releaseOnce sync.Once
	budget      *byteBudget // where the body's bytes go back on Release
	held        int
}

// Base returns the body decoded as a bare prot.MessageBase before
// dispatch, exactly as json.Unmarshal decodes it, and whether that decoding
// succeeded: a handler whose request is only a base need not decode the
// body again.
func (r *Request) Base() (prot.MessageBase, bool) { return r.base, r.baseOK }

// Release tells the server the handler is done with Body, which becomes nil:
// its bytes stop counting against the bound on request bodies in flight. A
// handler that blocks for long after decoding its request (WaitForProcess)
// calls it, so that a waiting request keeps only what it decoded. The
// server releases every request when its handler returns.
func (r *Request) Release() {
	r.releaseOnce.Do(func() {
		r.Body = nil
		if r.budget != nil {
			r.budget.release(r.held)
		}
	})
}

// ResponseWriter sends the single reply to a request. Only the first call to
// Respond or Error sends anything; when it returns, the reply has been
// written to the connection (or the connection has failed), so anything a
// handler publishes afterwards reaches the host after the reply.
type ResponseWriter interface {
	// Respond sends resp as a success; its Result and ActivityId are set by
	// the writer.
	Respond(resp prot.Response)
	// Error sends a base-only failure reply built from err's HRESULT.
	Error(err error)
}

// Handler serves one request.
type Handler interface {
	ServeMsg(ctx context.Context, w ResponseWriter, r *Request)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, w ResponseWriter, r *Request)

// ServeMsg calls f.
func (f HandlerFunc) ServeMsg(ctx context.Context, w ResponseWriter, r *Request) { f(ctx, w, r) }

// Func adapts the common shape of a handler, one that computes a reply or an
// error, to a Handler.
func Func(f func(ctx context.Context, r *Request) (prot.Response, error)) Handler {
	return HandlerFunc(func(ctx context.Context, w ResponseWriter, r *Request) {
		resp, err := f(ctx, r)
		if err != nil {
			w.Error(err)
			return
		}
		w.Respond(resp)
	})
}

// NotImplemented answers every request with E_NOTIMPL, naming the message
// type as the reference does.
func NotImplemented() Handler {
	return HandlerFunc(func(_ context.Context, w ResponseWriter, r *Request) {
		w.Error(prot.Errorf(prot.HrNotImpl, "bridge: function not supported, header type: %s", r.Header.Type))
	})
}
