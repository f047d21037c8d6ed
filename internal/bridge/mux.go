package bridge

import (
	"context"

	"github.com/linux-gcs/gcs/internal/prot"
)

type muxKey struct {
	id      prot.MessageIdentifier
	version prot.ProtocolVersion
}

// Mux routes a request to the handler registered for its message identifier
// at the connection's negotiated protocol version. Anything unregistered,
// including every request in a state it was not registered for, gets
// E_NOTIMPL. Register everything before serving; a Mux is not safe for
// registration while in use.
type Mux struct {
	routes   map[muxKey]Handler
	notFound Handler
}

// NewMux returns an empty Mux.
func NewMux() *Mux {
	return &Mux{routes: make(map[muxKey]Handler), notFound: NotImplemented()}
}

// Handle registers h for id at version v. prot.PvInvalid is the state of a
// connection before negotiation.
func (m *Mux) Handle(id prot.MessageIdentifier, v prot.ProtocolVersion, h Handler) {
	m.routes[muxKey{id, v}] = h
}

// HandleFunc registers f for id at version v.
func (m *Mux) HandleFunc(id prot.MessageIdentifier, v prot.ProtocolVersion, f func(context.Context, *Request) (prot.Response, error)) {
	m.Handle(id, v, Func(f))
}

// Handler returns the handler for r, never nil.
func (m *Mux) Handler(r *Request) Handler {
	if h, ok := m.routes[muxKey{r.Header.Type, r.Version}]; ok {
		return h
	}
	return m.notFound
}

// ServeMsg dispatches r to its handler.
func (m *Mux) ServeMsg(ctx context.Context, w ResponseWriter, r *Request) {
	m.Handler(r).ServeMsg(ctx, w, r)
}
