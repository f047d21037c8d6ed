//go:build !linux

package scsi

import (
	"context"
	"errors"
)

// Mount is only supported on Linux.
func (m *Mounter) Mount(ctx context.Context, device, target string, o MountOptions) error {
	return errors.New("mounting SCSI disks is only supported on Linux")
}

// Unmount is only supported on Linux.
func (m *Mounter) Unmount(ctx context.Context, target string) error {
	return errors.New("unmounting SCSI disks is only supported on Linux")
}
