package client

import "github.com/linux-gcs/gcs/internal/prot"

// Option configures a Client created by New, Dial or a Listener.
type Option func(*options)

// options holds the settings an Option can change.
type options struct {
	maxMessageSize uint32
	// strayReply, when set, is told of a response that matches no
	// pending request, which is then dropped instead of ending the client.
	strayReply func(prot.MessageHeader)
}

// defaultOptions returns the settings used when no Option changes them.
func defaultOptions() options {
	return options{maxMessageSize: prot.MaxOutboundMessageSize}
}

// WithMaxMessageSize sets the largest message, header included, the client
// accepts from the GCS; a larger one ends the client. The default is
// prot.MaxOutboundMessageSize (64 KiB), the limit the real host enforces.
// Values below the header size are ignored.
func WithMaxMessageSize(n uint32) Option {
	return func(o *options) {
		if n >= prot.MessageHeaderSize {
			o.maxMessageSize = n
		}
	}
}

// WithStrayReplies makes the client drop a response that matches no
// pending request, telling seen about it (seen may be nil), instead of
// ending with a ProtocolError. A GCS that answers, on a new connection, a
// request made on an earlier one (it keeps such answers for the host across
// a live migration) sends such replies to whoever connects next: a one-shot
// tool like gcsctl, whose predecessor was interrupted, wants this; tests
// and a real host keep the strict default. A response under a pending ID
// but of another type than the request expects is such a stray too, and
// the client numbers its requests from a random point to make that rare.
func WithStrayReplies(seen func(prot.MessageHeader)) Option {
	return func(o *options) {
		if seen == nil {
			seen = func(prot.MessageHeader) {}
		}
		o.strayReply = seen
	}
}
