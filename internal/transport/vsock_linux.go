//go:build linux

package transport

import (
	"context"
	"net"

	"github.com/mdlayher/vsock"
)

// dialVsock connects to an AF_VSOCK port.
func dialVsock(ctx context.Context, cid, port uint32) (net.Conn, error) {
	c, err := vsock.DialContext(ctx, cid, port, nil)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// listenVsock listens on an AF_VSOCK port of the local context ID.
func listenVsock(port uint32) (net.Listener, error) {
	l, err := vsock.Listen(port, nil)
	if err != nil {
		return nil, err
	}
	return l, nil
}
