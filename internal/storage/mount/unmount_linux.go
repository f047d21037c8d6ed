package mount

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// busyRetries and busyDelay bound how long Unmount waits for a busy mount
// before detaching it.
const (
	busyRetries = 20
	busyDelay   = 50 * time.Millisecond
)

// Unmount unmounts every mount stacked at target, never following a
// symbolic link there (UMOUNT_NOFOLLOW). Nothing mounted there is
// not an error, so a repeated Remove succeeds as the reference's does. A
// mount still busy after a short wait (bounded by ctx) is detached
// (MNT_DETACH) and Unmount reports detached: the file system, and the
// device under it, stay in use until its last user goes, so a caller that
// tears down that device should do so lazily (devmapper.RemoveDeferred).
func Unmount(ctx context.Context, target string) (detached bool, err error) {
	if err := CheckPath(target); err != nil {
		return false, fmt.Errorf("unmount: %w", err)
	}
	busy := 0
	for {
		err := unix.Unmount(target, unix.UMOUNT_NOFOLLOW)
		switch {
		case err == nil:
			busy = 0
			continue // stacked mounts: peel every one
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			return detached, nil
		case errors.Is(err, unix.EBUSY) && busy < busyRetries:
			busy++
			select {
			case <-ctx.Done():
				busy = busyRetries
			case <-time.After(busyDelay):
			}
		case errors.Is(err, unix.EBUSY):
			if err := unix.Unmount(target, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil {
				return detached, fmt.Errorf("detach busy mount %s: %w", target, err)
			}
			detached = true
		default:
			return detached, fmt.Errorf("unmount %s: %w", target, err)
		}
	}
}
