package devmapper

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// busyRetries and busyDelay bound how long Remove retries a busy device.
const (
	busyRetries = 50
	busyDelay   = 100 * time.Millisecond
)

// Create creates the device-mapper device name with table, activates it
// and returns its path, /dev/mapper/<name> (made with mknod when no udev
// did). It fails if a device of that name exists, and leaves nothing
// behind when it fails.
func Create(ctx context.Context, name string, table Table) (path string, err error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	if len(table.Targets) == 0 {
		return "", fmt.Errorf("create device-mapper device %q: empty table", name)
	}
	specs, err := targetSpecs(table.Targets)
	if err != nil {
		return "", fmt.Errorf("create device-mapper device %q: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("create device-mapper device %q: %w", name, err)
	}
	c, err := openControl()
	if err != nil {
		return "", fmt.Errorf("create device-mapper device %q: %w", name, err)
	}
	defer c.Close()
	if _, err := c.ioctl(unix.DM_DEV_CREATE, name, 0, 0, nil, 0); err != nil {
		if errors.Is(err, unix.EBUSY) {
			return "", fmt.Errorf("create device-mapper device %q: a device of that name exists: %w", name, err)
		}
		return "", fmt.Errorf("create device-mapper device %q: %w", name, err)
	}
	defer func() {
		if err != nil {
			c.ioctl(unix.DM_DEV_REMOVE, name, 0, 0, nil, 0)
			removeNode(name)
		}
	}()
	var flags uint32
	if table.ReadOnly {
		flags |= unix.DM_READONLY_FLAG
	}
	if _, err := c.ioctl(unix.DM_TABLE_LOAD, name, flags, len(table.Targets), specs, 0); err != nil {
		return "", fmt.Errorf("load %s table of device-mapper device %q: %w", typesOf(table), name, err)
	}
	r, err := c.ioctl(unix.DM_DEV_SUSPEND, name, 0, 0, nil, 0) // no DM_SUSPEND_FLAG: resume
	if err != nil {
		return "", fmt.Errorf("activate device-mapper device %q: %w", name, err)
	}
	if err := ensureNode(name, r.dev); err != nil {
		return "", err
	}
	return Path(name), nil
}

// Remove removes the device-mapper device name, retrying for a few seconds
// (bounded by ctx) while it is busy, and its /dev/mapper node. A device
// that does not exist is not an error.
func Remove(ctx context.Context, name string) error {
	return remove(ctx, name, 0)
}

// RemoveDeferred asks the kernel to remove the device-mapper device name
// once its last user closes it (at once if it has none), for a device
// under a mount that had to be detached. It removes the /dev/mapper node
// now. A device that does not exist is not an error.
func RemoveDeferred(ctx context.Context, name string) error {
	return remove(ctx, name, unix.DM_DEFERRED_REMOVE)
}

func remove(ctx context.Context, name string, flags uint32) error {
	if err := checkName(name); err != nil {
		return err
	}
	c, err := openControl()
	if err != nil {
		return fmt.Errorf("remove device-mapper device %q: %w", name, err)
	}
	defer c.Close()
	for attempt := 0; ; attempt++ {
		_, err := c.ioctl(unix.DM_DEV_REMOVE, name, flags, 0, nil, 0)
		switch {
		case err == nil, isNoDevice(err):
			return removeNode(name)
		case errors.Is(err, unix.EBUSY) && attempt < busyRetries:
			select {
			case <-ctx.Done():
				return fmt.Errorf("remove device-mapper device %q: still busy: %w", name, ctx.Err())
			case <-time.After(busyDelay):
			}
		default:
			return fmt.Errorf("remove device-mapper device %q: %w", name, err)
		}
	}
}

// Exists reports whether a device-mapper device name exists. Without
// device-mapper in the kernel none does.
func Exists(ctx context.Context, name string) (bool, error) {
	if err := checkName(name); err != nil {
		return false, err
	}
	c, err := openControl()
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("status of device-mapper device %q: %w", name, err)
	}
	defer c.Close()
	_, err = c.ioctl(unix.DM_DEV_STATUS, name, 0, 0, nil, 0)
	switch {
	case err == nil:
		return true, nil
	case isNoDevice(err):
		return false, nil
	}
	return false, fmt.Errorf("status of device-mapper device %q: %w", name, err)
}

// Targets returns the target types the kernel has loaded, with their
// versions. A type missing here may still be loaded on demand (as a
// module) when a table first uses it.
func Targets(ctx context.Context) (map[string][3]uint32, error) {
	c, err := openControl()
	if err != nil {
		return nil, fmt.Errorf("list device-mapper targets: %w", err)
	}
	defer c.Close()
	for size := 16 << 10; size <= 1<<20; size *= 4 {
		r, err := c.ioctl(unix.DM_LIST_VERSIONS, "", 0, 0, nil, size)
		if err != nil {
			return nil, fmt.Errorf("list device-mapper targets: %w", err)
		}
		if r.flags&unix.DM_BUFFER_FULL_FLAG == 0 {
			return targetVersions(r.data), nil
		}
	}
	return nil, errors.New("list device-mapper targets: reply too large")
}

// ensureNode makes /dev/mapper/<name> the block device dev unless it is
// already (udev may have made it).
func ensureNode(name string, dev uint64) error {
	p := Path(name)
	want := unix.Mkdev(unix.Major(dev), unix.Minor(dev))
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err == nil && st.Mode&unix.S_IFMT == unix.S_IFBLK && st.Rdev == want {
		return nil
	}
	if err := removeNode(name); err != nil {
		return err
	}
	if err := unix.Mknod(p, unix.S_IFBLK|0o600, int(want)); err != nil {
		if errors.Is(err, unix.EEXIST) && unix.Stat(p, &st) == nil && st.Rdev == want {
			return nil // udev got there first
		}
		return fmt.Errorf("create device node %s (%d:%d): %w", p, unix.Major(dev), unix.Minor(dev), err)
	}
	return nil
}

// removeNode removes /dev/mapper/<name> if it exists.
func removeNode(name string) error {
	if err := os.Remove(Path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove device node: %w", err)
	}
	return nil
}

// typesOf names the target types of t for messages, e.g. "linear".
func typesOf(t Table) string {
	s := ""
	for i, tg := range t.Targets {
		if i > 0 {
			s += "+"
		}
		s += tg.Type
	}
	return s
}
