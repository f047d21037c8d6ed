//go:build !linux

package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
)

// errVsockUnsupported reports that AF_VSOCK is unavailable on this OS.
func errVsockUnsupported() error {
	return fmt.Errorf("vsock is not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// dialVsock is not supported outside Linux.
func dialVsock(context.Context, uint32, uint32) (net.Conn, error) {
	return nil, errVsockUnsupported()
}

// listenVsock is not supported outside Linux.
func listenVsock(uint32) (net.Listener, error) {
	return nil, errVsockUnsupported()
}
