//go:build !linux

package plan9

import (
	"context"
	"errors"
	"net"
)

// Mount is only supported on Linux.
func Mount(ctx context.Context, conn net.Conn, target string, o Options) error {
	return errors.New("mounting 9p shares is only supported on Linux")
}

// Unmount is only supported on Linux.
func Unmount(ctx context.Context, target string, o Options) error {
	return errors.New("unmounting 9p shares is only supported on Linux")
}
