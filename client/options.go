package client

import "github.com/linux-gcs/gcs/internal/prot"

// Option configures a Client created by New, Dial or a Listener.
type Option func(*options)

// options holds the settings an Option can change.
type options struct {
	maxMessageSize uint32
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
