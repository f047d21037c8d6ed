package mount

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DeviceSize returns the size in bytes of the block device at path.
func DeviceSize(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("size of block device: %w", err)
	}
	defer f.Close()
	var size uint64
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&size))); errno != 0 {
		return 0, fmt.Errorf("size of block device %s: %w", path, errno)
	}
	return size, nil
}
