package plan9

import (
	"context"
	"fmt"
	"net"
	"syscall"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/linux-gcs/gcs/internal/storage/mount"
)

// Mount mounts the 9P2000.L file server at the other end of conn at target
// (created). The kernel takes its own reference to the socket, through a
// duplicate of conn's descriptor that Mount closes again; conn stays the
// caller's, who should close it once Mount returns, whatever it returned:
// the mount keeps working.
func Mount(ctx context.Context, conn net.Conn, target string, o Options) error {
	log := o.log().WithFields(logrus.Fields{"target": target, "share": o.ShareName})
	if err := mount.CheckTarget(target, o.AllowedRoots); err != nil {
		return fmt.Errorf("mount 9p share %q: target: %w", o.ShareName, err)
	}
	fd, err := dupConn(conn)
	if err != nil {
		return fmt.Errorf("mount 9p share %q: %w", o.ShareName, err)
	}
	defer unix.Close(fd)
	data, err := o.data(fd)
	if err != nil {
		return fmt.Errorf("mount 9p share: %w", err)
	}
	if err := mount.MakeTarget(target, o.AllowedRoots); err != nil {
		return fmt.Errorf("mount 9p share %q: %w", o.ShareName, err)
	}
	// The share goes on the directory checked and made above, through a
	// descriptor, as scsi and pmem mount theirs: a directory on the way
	// swapped for a link since cannot lead it out of the roots.
	at, err := mount.OpenTarget(target, o.AllowedRoots)
	if err != nil {
		return fmt.Errorf("mount 9p share %q: %w", o.ShareName, err)
	}
	defer at.Close()
	var flags uintptr
	if o.ReadOnly {
		flags |= unix.MS_RDONLY
	}
	source := o.ShareName // shown in mountinfo; the 9p client ignores it
	if source == "" {
		source = target
	}
	if err := unix.Mount(source, at.Path(), "9p", flags, data); err != nil {
		return fmt.Errorf("mount 9p share %q at %s (%s): %w", o.ShareName, target, data, err)
	}
	log.WithField("readonly", o.ReadOnly).Info("mounted 9p share")
	return nil
}

// dupConn returns a new close-on-exec descriptor of conn's socket.
func dupConn(conn net.Conn) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("connection %T has no file descriptor", conn)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("connection descriptor: %w", err)
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(s uintptr) {
		fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, fmt.Errorf("connection descriptor: %w", err)
	}
	if dupErr != nil {
		return -1, fmt.Errorf("duplicate connection descriptor: %w", dupErr)
	}
	return fd, nil
}

// Unmount unmounts the share at target, which must be below one of
// o.AllowedRoots with no symbolic link on the way (a link at target is not
// followed). The mount point stays: only its maker knows whether it made
// it (see hcsv2). Nothing mounted there is not an error, so a repeated
// Remove succeeds.
func Unmount(ctx context.Context, target string, o Options) error {
	if err := mount.CheckTarget(target, o.AllowedRoots); err != nil {
		return fmt.Errorf("unmount 9p share: target: %w", err)
	}
	if _, err := mount.Unmount(ctx, target); err != nil {
		return fmt.Errorf("unmount 9p share: %w", err)
	}
	o.log().WithField("target", target).Info("unmounted 9p share")
	return nil
}
