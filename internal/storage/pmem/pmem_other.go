//go:build !linux

package pmem

import (
	"context"
	"errors"
)

// Mount is only supported on Linux.
func Mount(ctx context.Context, deviceNumber uint32, target string, o Options) error {
	return errors.New("mounting VPMem devices is only supported on Linux")
}

// Unmount is only supported on Linux.
func Unmount(ctx context.Context, deviceNumber uint32, target string, o Options) error {
	return errors.New("unmounting VPMem devices is only supported on Linux")
}
